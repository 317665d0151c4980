"""The complaint domain and the plumbing every service shares.

Pure domain: `domain` (the Complaint aggregate and its events), `case_numbers`,
`tenants` (tenant rules as data), `routing`, `windows`. Plumbing: `settings`,
`store` (the eventsourcing application over the event store), `cloudevents`,
`follower` (the consumer loop), `observability`, `problems`.
"""
