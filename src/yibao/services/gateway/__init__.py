"""The gateway in the national platform's shape (国家医保信息平台 定点医药机构接口规范):
``dispatch.handle`` answers one message; one module per group of transactions
(docs/gateway.md)."""
