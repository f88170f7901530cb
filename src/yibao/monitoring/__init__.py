"""Monitoring I/O: the rules file, exports for the rural-revitalisation department (Excel,
JSON), and the measurement of the rules against injected anomalies. The rules themselves are
pure functions in ``yibao.engine.supervision`` and ``yibao.engine.warning``."""
