"""Logging that never prints an ID number in clear (个人信息保护): anything that looks like one
(17 digits and a check character, GB 11643) is masked in every record the process writes: the
message and its arguments (access-log URLs), exception tracebacks and stack traces.

``install()`` (called by the server at start) masks each record as it is made, whatever logger
writes it (child loggers such as yibao.store.settle included), and also adds the filter to the
handlers uvicorn configured and to logging's last-resort handler. ``MaskIdNumbers`` can be named
in a logging configuration of one's own (``"()": "yibao.api.logs.MaskIdNumbers"`` on a handler).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from yibao.idcard import mask

# Anywhere, also inside a longer code: a 个人编号 made as "P" + the ID number (as the store once
# did), a number right after a %XX escape in a URL, a number in a JSON text.
ID_LIKE = re.compile(r"\d{17}[\dXx]")
SERVER_LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "yibao")
_PLAIN = logging.Formatter()


def mask_text(text: str) -> str:
    return ID_LIKE.sub(lambda m: mask(m.group(0)), text)


def _mask_arg(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if value is None or isinstance(value, bool | float):
        return value
    text = str(value)  # ints and objects keep their type unless they print an ID number
    return mask_text(text) if ID_LIKE.search(text) else value


def _mask_args(args: Any) -> Any:
    if isinstance(args, Mapping):
        return {key: _mask_arg(value) for key, value in args.items()}
    if isinstance(args, tuple):
        return tuple(_mask_arg(value) for value in args)
    return _mask_arg(args)


def mask_record(record: logging.LogRecord) -> None:
    """Mask ID numbers in ``record`` in place; formatters still get ``args`` of the same shape
    (uvicorn's AccessFormatter unpacks its five)."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format: logging reports it with msg and args, masked here
        message = None
    if message is None or ID_LIKE.search(message):
        if not isinstance(record.msg, str):
            record.msg = str(record.msg)
        record.msg = mask_text(record.msg)
        if record.args:
            record.args = _mask_args(record.args)
        if message is not None:
            try:
                masked = record.getMessage()
            except Exception:  # e.g. a masked int under %d
                masked = None
            if masked is None or ID_LIKE.search(masked):
                # A number made by an argument's repr, or across arguments: keep the text only.
                record.msg, record.args = mask_text(message), ()
                record.__dict__.pop("color_message", None)
    if record.exc_info and not record.exc_text:
        record.exc_text = _PLAIN.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)


class MaskIdNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def _masking_factory(make: Any) -> Any:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = make(*args, **kwargs)
        mask_record(record)
        return record

    factory.yibao_masks = True  # type: ignore[attr-defined]
    return factory


def _add_filter(target: logging.Filterer) -> None:
    if not any(isinstance(f, MaskIdNumbers) for f in target.filters):
        target.addFilter(MaskIdNumbers())


def install() -> None:
    """Mask every record from now on (idempotent; call it after logging is configured, as the
    app's lifespan does, so that the handlers uvicorn made get the filter too)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "yibao_masks", False):
        logging.setLogRecordFactory(_masking_factory(current))
    for name in (None, *SERVER_LOGGERS):
        logger = logging.getLogger(name)
        _add_filter(logger)
        for handler in logger.handlers:
            _add_filter(handler)
    if logging.lastResort is not None:
        _add_filter(logging.lastResort)
