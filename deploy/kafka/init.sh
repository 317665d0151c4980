#!/usr/bin/env bash
# The kafka-init service of deploy/docker-compose.yml, run once before the app services start. As the
# broker's admin it creates each service's broker user, the topics, and the ACLs that let each user do
# what its service does and nothing more (the broker allows nothing without an ACL). Every step may run
# again: a user's password is set anew, an existing topic or ACL is left as it is.
set -euo pipefail

broker=kafka:9092
bin=/opt/kafka/bin
admin=$(mktemp)  # admin's client settings; they never leave this container
trap 'rm -f "$admin"' EXIT
cat > "$admin" <<SETTINGS
security.protocol=SASL_SSL
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD";
ssl.truststore.type=PEM
ssl.truststore.location=/run/secrets/kafka-ca
SETTINGS

# The broker's port opens before it serves: wait (up to a minute) until admin is let in.
for attempt in $(seq 30); do
  "$bin/kafka-broker-api-versions.sh" --bootstrap-server "$broker" --command-config "$admin" > /dev/null 2>&1 && break
  if [ "$attempt" = 30 ]; then echo "admin cannot log in to the broker at $broker" >&2; exit 1; fi
  sleep 2
done

user() {  # NAME PASSWORD: a SCRAM-SHA-512 user
  "$bin/kafka-configs.sh" --bootstrap-server "$broker" --command-config "$admin" --alter \
    --entity-type users --entity-name "$1" --add-config "SCRAM-SHA-512=[password=$2]"
}
topic() {  # NAME: one replica, as there is one broker
  "$bin/kafka-topics.sh" --bootstrap-server "$broker" --command-config "$admin" --create --if-not-exists \
    --topic "$1" --partitions "$TOPIC_PARTITIONS" --replication-factor 1
}
allow() {  # USER, then what kafka-acls.sh is to allow that user
  "$bin/kafka-acls.sh" --bootstrap-server "$broker" --command-config "$admin" --add \
    --allow-principal "User:$1" "${@:2}"
}
# USER TOPIC: to publish to it, to consume it, or only to see that it exists.
writes() { allow "$1" --operation Write --operation Describe --topic "$2"; }
reads() { allow "$1" --operation Read --operation Describe --topic "$2"; }
sees() { allow "$1" --operation Describe --topic "$2"; }
# USER CONSUMER: to consume in the consumer's groups, which kafka.group_id names CONSUMER@topic.
joins() { allow "$1" --operation Read --resource-pattern-type prefixed --group "$2@"; }

# Made here, not by the relay: its user may not create topics.
topic "$EVENTS_TOPIC"
topic "$DEAD_LETTER_TOPIC"

# The relay publishes the store's events; kafka.ensure_topics looks for both topics and finds them.
user relay "$KAFKA_RELAY_PASSWORD"
writes relay "$EVENTS_TOPIC"
sees relay "$DEAD_LETTER_TOPIC"

# Each consumer hears of events on the events topic, in a group named after it, and publishes to the dead
# letters what it cannot apply.
user routing "$KAFKA_ROUTING_PASSWORD"
reads routing "$EVENTS_TOPIC"
joins routing routing
writes routing "$DEAD_LETTER_TOPIC"

user delivery "$KAFKA_DELIVERY_PASSWORD"
reads delivery "$EVENTS_TOPIC"
joins delivery delivery
writes delivery "$DEAD_LETTER_TOPIC"

user qualification "$KAFKA_QUALIFICATION_PASSWORD"
reads qualification "$EVENTS_TOPIC"
joins qualification qualification
joins qualification deadlines
writes qualification "$DEAD_LETTER_TOPIC"

user reporting "$KAFKA_REPORTING_PASSWORD"
reads reporting "$EVENTS_TOPIC"
joins reporting reporting
writes reporting "$DEAD_LETTER_TOPIC"
