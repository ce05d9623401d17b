"""The vendored OpenLineage JSON Schemas and an offline validator for RunEvents."""
