"""The delivery worker: the messages each case calls for, decided and sent to the complainant."""
