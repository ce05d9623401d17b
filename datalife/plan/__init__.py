"""The canonical schema representation and the check compiler.

A schema version is read into a :class:`~datalife.plan.spec.SchemaSpec` (plain data), which
:func:`~datalife.plan.compile.compile_plan` turns, once, into an engine-neutral
:class:`~datalife.plan.compile.CheckPlan`. Every engine renders that plan in its own terms
(pandera for frames, SQL for DuckDB); none of them decides on its own what a schema means.
This package sits below ``schemas`` and ``validation``: it imports neither.
"""
