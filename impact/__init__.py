"""The hackathon impact dashboard's domain: data model, rules, queries, charts and loaders."""
