"""The complaint domain and the plumbing every service shares, in four layers:

- `model/`: the `Complaint` aggregate and its events, tenant rules (windows, routing, approvals), no I/O;
- `application/`: use cases taking the caller and a `Clock`, and the one permission policy;
- `adapters/`: the event store, recorders and hash chains, personal data, read models, Kafka;
- `web/`: the app factory, dependencies, authentication, problem details, limits and health.

`settings` is the one typed settings object; `tenants/` holds the tenants' files.
"""
