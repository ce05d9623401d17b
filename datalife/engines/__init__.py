"""Where rows are processed: every engine behind one contract and one registry."""
