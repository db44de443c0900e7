"""The harness's built-in implementation of the documented CommonServerPython surface.

Integrations use it through ``from CommonServerPython import *``. As with the product's module,
every public name is exported by that star import (no ``__all__``), and the modules it exports
are exactly the product's: what an integration takes from the star import here works on the
server, and what the server does not hand over is not handed over here either. Helpers this
module needs for itself are imported under private names. All server interaction goes through
``demistomock``.
"""

# The product's module-level imports, exported through the star import.
import base64  # noqa: F401
import binascii  # noqa: F401
import gc  # noqa: F401
import gzip  # noqa: F401
import json
import logging  # noqa: F401
import os
import re
import socket  # noqa: F401
import ssl  # noqa: F401
import sys
import time
import traceback  # noqa: F401
import types  # noqa: F401
import urllib  # noqa: F401
import warnings  # noqa: F401
import xml.etree.cElementTree as ET  # noqa: F401,N817
from abc import abstractmethod  # noqa: F401
from collections import OrderedDict  # noqa: F401
from datetime import datetime, timedelta
from functools import wraps  # noqa: F401
from inspect import currentframe  # noqa: F401
from random import randint  # noqa: F401
from threading import Lock  # noqa: F401

import calendar as _calendar
import email.utils as _email_utils
import importlib as _importlib


class _LazyModule:
    """A module the product imports at load time, imported here on first use instead (it is
    slow to import, and most runs never touch it). A module this environment lacks raises the
    ModuleNotFoundError the integration would get (and the harness reports as
    runtime.missing-module), instead of a puzzling NameError."""

    def __init__(self, name):
        self._name = name
        self._module = None

    def _load(self):
        if self._module is None:
            try:
                self._module = _importlib.import_module(self._name)
            except ImportError:
                raise ModuleNotFoundError("No module named '{}'".format(self._name), name=self._name) from None
        return self._module

    def __getattr__(self, attribute):
        return getattr(self._load(), attribute)

    def __call__(self, *args, **kwargs):
        return self._load()(*args, **kwargs)

    def __repr__(self):
        return '<module {!r}, imported on first use>'.format(self._name)


class LooseVersion:
    """distutils' LooseVersion (from setuptools on Python 3.12), imported on first use: the
    import takes longer than a whole command."""

    def __new__(cls, *args, **kwargs):
        try:
            from distutils.version import LooseVersion as real
        except ImportError:
            raise ModuleNotFoundError("No module named 'distutils'", name='distutils') from None
        return real(*args, **kwargs)


# The product imports these in one guarded block: a missing package breaks only what needs it
# (BaseClient needs requests).
try:
    from typing import Any, Dict, List, Optional, Set, Union, cast  # noqa: F401
    from datetime import timezone
except ImportError:  # pragma: no cover - the standard library has them
    pass
try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3 import disable_warnings
    from urllib3.util import Retry
    disable_warnings()
except ImportError:
    requests = HTTPAdapter = Retry = disable_warnings = _LazyModule('requests')
dateparser = _LazyModule('dateparser')

import demistomock as demisto

IS_PY3 = True
STRING_TYPES = (str, bytes)
STRING_OBJ_TYPES = (str,)
REQUESTS_TIMEOUT = 60


# --- entry constants -----------------------------------------------------------------------

class EntryType:
    """War-room entry types."""
    NOTE = 1
    DOWNLOAD_AGENT = 2
    FILE = 3
    ERROR = 4
    PINNED = 5
    USER_MANAGEMENT = 6
    IMAGE = 7
    PLAYGROUND_ERROR = 8
    ENTRY_INFO_FILE = 9
    VIDEO_FILE = 10
    WARNING = 11
    STATIC_VIDEO_FILE = 12
    MAP_ENTRY_TYPE = 15
    WIDGET = 17


class EntryFormat:
    """Formats of an entry's Contents."""
    HTML = 'html'
    TABLE = 'table'
    JSON = 'json'
    TEXT = 'text'
    MARKDOWN = 'markdown'


#: The older dict spelling of the entry types and formats, still common in integrations.
entryTypes = {'note': EntryType.NOTE, 'downloadAgent': EntryType.DOWNLOAD_AGENT, 'file': EntryType.FILE,
              'error': EntryType.ERROR, 'pinned': EntryType.PINNED, 'userManagement': EntryType.USER_MANAGEMENT,
              'image': EntryType.IMAGE, 'playgroundError': EntryType.PLAYGROUND_ERROR,
              'entryInfoFile': EntryType.ENTRY_INFO_FILE, 'warning': EntryType.WARNING,
              'map': EntryType.MAP_ENTRY_TYPE, 'widget': EntryType.WIDGET}
formats = {'html': EntryFormat.HTML, 'table': EntryFormat.TABLE, 'json': EntryFormat.JSON,
           'text': EntryFormat.TEXT, 'markdown': EntryFormat.MARKDOWN}


class IncidentStatus:
    """Incident statuses as the server numbers them."""
    PENDING = 0
    ACTIVE = 1
    DONE = 2
    ARCHIVE = 3


class IncidentSeverity:
    """Incident severities as the server numbers them."""
    UNKNOWN = 0
    INFO = 0.5
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


# --- errors and logging --------------------------------------------------------------------

class DemistoException(Exception):
    """An integration error; `res` holds the HTTP response when one caused it."""

    def __init__(self, message, exception=None, res=None, *args):
        super().__init__(message, exception, *args)
        self.message = message
        self.exception = exception
        self.res = res

    def __str__(self):
        return str(self.message)


class IntegrationLogger:
    """The LOG callable: debug lines go straight to stderr, which the harness shows on failure."""

    def __init__(self):
        self._secrets = set()

    def add_replace_strs(self, *values):
        """Registers values (tokens, passwords) to mask in logged lines."""
        self._secrets.update(str(value) for value in values if value)

    def __call__(self, message):
        text = str(message)
        for secret in self._secrets:
            text = text.replace(secret, '<XX_REPLACED>')
        print(text, file=sys.stderr)

    def print_log(self, verbose=False):
        """No-op: every line was written when it was logged."""


LOG = IntegrationLogger()


def is_debug_mode():
    """Whether the instance runs in debug mode."""
    return bool(getattr(demisto, 'is_debug', False))


# --- arguments -------------------------------------------------------------------------------

def argToList(arg, separator=',', transform=None):
    """A list from a list, a JSON list string, or a separated string (items stripped)."""
    if not arg:
        return []
    if isinstance(arg, list):
        items = arg
    elif isinstance(arg, str):
        if arg.startswith('[') and arg.endswith(']'):
            items = json.loads(arg)
        else:
            items = [item.strip() for item in arg.split(separator)]
    else:
        items = [arg]
    return [transform(item) for item in items] if transform else items


def argToBoolean(value):
    """True/False from a bool or from 'true'/'yes'/'false'/'no' (any case); ValueError otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ('true', 'yes'):
            return True
        if lowered in ('false', 'no'):
            return False
    raise ValueError('Argument does not contain a valid boolean-like value: {!r}'.format(value))


def _missing(arg_name):
    return ValueError('Missing "{}"'.format(arg_name) if arg_name else 'Missing a required argument')


def arg_to_number(arg, arg_name=None, required=False):
    """An int from an int, a float or a numeric string; None (or ValueError if required) when empty."""
    if arg is None or arg == '':
        if required:
            raise _missing(arg_name)
        return None
    if isinstance(arg, str):
        text = arg.strip()
        if text.isdigit():
            return int(text)
        try:
            return int(float(text))
        except ValueError:
            raise ValueError('Invalid number: "{}"="{}"'.format(arg_name, arg)) from None
    if isinstance(arg, (int, float)):
        return int(arg)
    raise ValueError('Invalid number: "{}"="{}"'.format(arg_name, arg))


_RELATIVE_TIME = re.compile(
    r'^(?P<future>in\s+)?(?P<count>\d+)\s*(?P<unit>second|sec|minute|min|hour|day|week|month|year)s?'
    r'(?:\s+ago)?$')
_UNIT_SECONDS = {'second': 1, 'sec': 1, 'minute': 60, 'min': 60, 'hour': 3600, 'day': 86400, 'week': 604800}


def _shift_months(moment, months):
    """The same day and time `months` calendar months later (the day clamped to the month's end)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, _calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _parse_date_text(text):
    """Parses ISO 8601, RFC 2822, 'now' and relative text ('3 days', '2 hours ago', 'in 1 week').

    Relative times are naive UTC; parsed strings keep their offset when they carry one.
    Returns None for text it cannot read.
    """
    text = text.strip()
    lowered = text.lower()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    if lowered == 'now':
        return now
    match = _RELATIVE_TIME.match(lowered)
    if match:
        count = int(match.group('count')) * (1 if match.group('future') else -1)
        unit = match.group('unit')
        if unit == 'month':
            return _shift_months(now, count)
        if unit == 'year':
            return _shift_months(now, 12 * count)
        return now + timedelta(seconds=count * _UNIT_SECONDS[unit])
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return _email_utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def arg_to_datetime(arg, arg_name=None, is_utc=True, required=False, settings=None):
    """A datetime from epoch seconds/milliseconds, an ISO string or relative text like '3 days'.

    Epoch numbers give aware UTC datetimes (naive local ones with is_utc=False). `settings` is
    accepted for compatibility and ignored (there is no dateparser here).
    """
    if arg is None or arg == '':
        if required:
            raise _missing(arg_name)
        return None
    if isinstance(arg, datetime):
        return arg
    if isinstance(arg, (int, float)) or (isinstance(arg, str) and arg.strip().isdigit()):
        seconds = float(arg)
        if seconds > 2000000000:  # larger values are milliseconds
            seconds /= 1000.0
        if is_utc:
            return datetime.fromtimestamp(seconds, timezone.utc)
        return datetime.fromtimestamp(seconds)
    if isinstance(arg, str):
        parsed = _parse_date_text(arg)
        if parsed is None:
            raise ValueError('"{}" is not a valid date: {}'.format(arg_name, arg))
        return parsed
    raise ValueError('"{}" is not a valid date: {!r}'.format(arg_name, arg))


def assign_params(keys_to_ignore=None, values_to_ignore=None, **kwargs):
    """The keyword arguments without empty values (None, '', [], {}, ()) and ignored keys."""
    if values_to_ignore is None:
        values_to_ignore = (None, '', [], {}, ())
    keys_to_ignore = keys_to_ignore or ()
    return {key: value for key, value in kwargs.items()
            if value not in values_to_ignore and key not in keys_to_ignore}


def _is_empty_element(value):
    return value is None or value == {} or value == []


def remove_empty_elements(d):
    """Recursively drops None, {} and [] from dicts and lists."""
    if isinstance(d, list):
        cleaned = (remove_empty_elements(item) for item in d)
        return [item for item in cleaned if not _is_empty_element(item)]
    if isinstance(d, dict):
        cleaned_pairs = ((key, remove_empty_elements(value)) for key, value in d.items())
        return {key: value for key, value in cleaned_pairs if not _is_empty_element(value)}
    return d


def safe_load_json(json_object):
    """A dict/list as is, a JSON string parsed, or else the JSON file behind a war-room entry id.

    Unreadable input ends the command through return_error.
    """
    if isinstance(json_object, (dict, list)):
        return json_object
    if not isinstance(json_object, str):
        raise TypeError('Expected a JSON string, an entry id, a dict or a list, got {!r}'.format(json_object))
    if (json_object.startswith('{') and json_object.endswith('}')) or \
            (json_object.startswith('[') and json_object.endswith(']')):
        try:
            return json.loads(json_object)
        except ValueError as error:
            return_error('Unable to parse the JSON string, please check it is valid JSON: {}'.format(error))
    try:
        with open(demisto.getFilePath(json_object)['path'], 'rb') as json_file:
            return json.load(json_file)
    except Exception as error:  # any failure means "not a JSON file entry"
        return_error('Unable to load JSON from the entry {!r}, please check the entry id and its content: {}'
                     .format(json_object, error))


def dict_safe_get(dict_object, keys, default_return_value=None, return_type=None, raise_return_type=True):
    """Walks nested dicts/lists along `keys`; the default when any step is missing.

    With return_type, a value of another type raises TypeError (or gives the default when
    raise_return_type is False).
    """
    value = dict_object
    for key in keys:
        try:
            value = value[key]
        except (KeyError, TypeError, IndexError, AttributeError):
            value = default_return_value
            break
    if return_type and not isinstance(value, return_type):
        if raise_return_type:
            raise TypeError('dict_safe_get: expected {} at {}, got {!r}'.format(return_type, keys, value))
        value = default_return_value
    return value


def batch(iterable, batch_size=1):
    """Yields consecutive slices of a sequence, batch_size items each."""
    for start in range(0, len(iterable), batch_size):
        yield iterable[start:start + batch_size]


# --- strings ---------------------------------------------------------------------------------

def camelize_string(src_str, delim='_', upper_camel=True):
    """'some_name' -> 'SomeName' (or 'someName' with upper_camel=False); non-strings unchanged."""
    if not isinstance(src_str, str):
        return src_str
    first, *rest = src_str.split(delim)
    head = first.title() if upper_camel else first.lower()
    return head + ''.join(part.title() for part in rest)


def underscoreToCamelCase(s, upper_camel=True):
    """'some_name' -> 'SomeName' (or 'someName')."""
    return camelize_string(s, '_', upper_camel)


def camelize(src, delim=' ', upper_camel=True):
    """Camel-cases the keys of a dict, or of every dict in a list."""
    if isinstance(src, list):
        return [camelize(item, delim, upper_camel) for item in src]
    return {camelize_string(key, delim, upper_camel): value for key, value in src.items()}


def pascalToSpace(s):
    """'SomeHTTPName' -> 'Some HTTP Name' (a common headerTransform)."""
    if not isinstance(s, str):
        return s
    spaced = re.sub(r'(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])', ' ', s)
    return spaced[:1].upper() + spaced[1:]


def string_to_table_header(string):
    """'some_field' -> 'Some Field' (a common headerTransform)."""
    if not isinstance(string, str):
        raise TypeError('The key must be a string')
    return string.replace('_', ' ').title()


def urljoin(url, suffix=''):
    """Joins a base URL and a suffix with exactly one slash between them."""
    if not url.endswith('/'):
        url += '/'
    return url + (suffix[1:] if suffix.startswith('/') else suffix)


# --- dates -----------------------------------------------------------------------------------

def date_to_timestamp(date_str_or_dt, date_format='%Y-%m-%dT%H:%M:%S'):
    """Epoch milliseconds of a datetime, or of a string in date_format (read as local time)."""
    if isinstance(date_str_or_dt, str):
        date_str_or_dt = datetime.strptime(date_str_or_dt, date_format)
    return int(time.mktime(date_str_or_dt.timetuple()) * 1000)


def timestamp_to_datestring(timestamp, date_format='%Y-%m-%dT%H:%M:%S.000Z', is_utc=False):
    """Formats epoch milliseconds; UTC when is_utc or when the format ends with 'Z'."""
    seconds = int(timestamp) / 1000.0
    if is_utc or date_format.endswith('Z'):
        return datetime.fromtimestamp(seconds, timezone.utc).strftime(date_format)
    return datetime.fromtimestamp(seconds).strftime(date_format)


def parse_date_string(date_string, date_format='%Y-%m-%dT%H:%M:%S'):
    """A naive datetime from date_format, falling back to ISO 8601 (converted to UTC)."""
    try:
        return datetime.strptime(date_string, date_format)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(date_string.strip())
        except ValueError:
            raise ValueError('Unable to parse the date string {!r}'.format(date_string)) from None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
        return parsed


_RANGE_UNITS = {'minute': timedelta(minutes=1), 'hour': timedelta(hours=1), 'day': timedelta(days=1),
                'week': timedelta(weeks=1), 'month': timedelta(days=30), 'year': timedelta(days=365)}


def parse_date_range(date_range, date_format=None, to_timestamp=False, timezone=0, utc=True):
    """(start, end) for text like '3 days' ending now; formatted, or epoch ms with to_timestamp.

    `timezone` is an offset in hours added to both ends.
    """
    parts = date_range.strip().split()
    if len(parts) != 2:
        return_error('date_range must be "<number> <unit>", e.g. "2 hours", "4 minutes", "1 day"')
    try:
        count = int(parts[0])
    except ValueError:
        return_error('The time value of date_range must be an integer: {}'.format(parts[0]))
    unit = parts[1].lower().rstrip('s')
    if unit not in _RANGE_UNITS:
        return_error('The unit of date_range must be minutes, hours, days, weeks, months or years')
    end = (datetime.utcnow() if utc else datetime.now()) + timedelta(hours=timezone)
    start = end - count * _RANGE_UNITS[unit]
    if to_timestamp:
        return date_to_timestamp(start), date_to_timestamp(end)
    if date_format:
        return start.strftime(date_format), end.strftime(date_format)
    return start, end


# --- markdown and context --------------------------------------------------------------------

def _is_null_cell(value):
    return value in ('', None, [], {})


def _flatten_cell(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _format_cell(value):
    if value is None:
        return ''
    if isinstance(value, dict):
        text = '\n'.join('{}: {}'.format(key, _flatten_cell(item)) for key, item in value.items())
    elif isinstance(value, list):
        text = ',\n'.join(_flatten_cell(item) for item in value)
    else:
        text = str(value)
    # Keep the cell on one table row: escape the column separator, turn line breaks into <br>.
    return text.replace('|', '\\|').replace('\r\n', '<br>').replace('\n', '<br>')


def tableToMarkdown(name, t, headers=None, headerTransform=None, removeNull=False, metadata=None,
                    url_keys=None, date_fields=None, sort_headers=True):
    """A markdown table ('### name', header row, '---' row, one row per item) of a dict or list.

    Without headers the first item's keys are used (sorted unless sort_headers=False); a list of
    plain values needs one header. removeNull drops columns empty in every row; url_keys cells
    become links; date_fields holding epoch milliseconds are formatted as dates.
    """
    markdown = '### {}\n'.format(name) if name else ''
    if metadata:
        markdown += '{}\n'.format(metadata)
    if isinstance(headers, str):
        headers = [headers]
    if not headers and isinstance(t, dict) and len(t) == 1:
        # One key: its value becomes a single column.
        headers = list(t)
        t = t[headers[0]]
    rows = t if isinstance(t, list) else ([t] if t else [])
    if rows and not isinstance(rows[0], dict):
        if not headers:
            raise ValueError("Missing headers param for tableToMarkdown. Example: headers=['Some Header']")
        rows = [{headers[0]: item} for item in rows]
    if not headers and rows:
        headers = sorted(rows[0]) if sort_headers else list(rows[0])
    if removeNull and headers:
        headers = [header for header in headers if not all(_is_null_cell(row.get(header)) for row in rows)]
    if not rows or not headers:
        return markdown + '**No entries.**\n'

    transform = headerTransform or (lambda header: header)
    markdown += '|{}|\n'.format('|'.join(str(transform(header)) for header in headers))
    markdown += '|{}|\n'.format('|'.join('---' for _ in headers))
    for row in rows:
        cells = []
        for header in headers:
            value = row.get(header)
            if date_fields and header in date_fields and isinstance(value, (int, float)):
                value = timestamp_to_datestring(value, '%Y-%m-%d %H:%M:%S', is_utc=True)
            cell = _format_cell(value)
            if url_keys and header in url_keys and cell:
                cell = '[{0}]({0})'.format(cell)
            cells.append(cell)
        markdown += '| {} |\n'.format(' | '.join(cells))
    return markdown


def _create_context_single(obj, record_id, key_transform, remove_null):
    if not isinstance(obj, dict):
        return obj
    context = {}
    for key, value in obj.items():
        if remove_null and _is_null_cell(value):
            continue
        # A dotted key builds nested objects: 'a.b' -> {'a': {'b': ...}}.
        *parents, leaf = str(key).split('.')
        target = context
        for parent in parents:
            target = target.setdefault(parent, {})
        target[key_transform(leaf)] = value
    if record_id is not None:
        context.setdefault('ID', record_id)
    return context


def createContext(data, id=None, keyTransform=None, removeNull=False):  # noqa: A002 - the product's name
    """Context data from a dict or a list of dicts: keys transformed, dotted keys nested."""
    key_transform = keyTransform or (lambda key: key)
    if isinstance(data, (list, tuple)):
        return [_create_context_single(item, id, key_transform, removeNull) for item in data]
    return _create_context_single(data, id, key_transform, removeNull)


# --- server version and stored state ---------------------------------------------------------

def get_demisto_version():
    """The server's {'version', 'buildNumber'}."""
    return demisto.demistoVersion()


def get_demisto_version_as_str():
    """The server version as '<version>-<buildNumber>'."""
    version = get_demisto_version()
    return '{}-{}'.format(version.get('version'), version.get('buildNumber'))


def _version_key(version):
    parts = [int(part) if part.isdigit() else 0 for part in str(version).split('.')]
    return tuple(parts + [0] * (4 - len(parts)))


def is_demisto_version_ge(version, build_number=''):
    """Whether the server is at least `version` (and, at that exact version, at least build_number)."""
    server = get_demisto_version()
    server_key, wanted_key = _version_key(server.get('version', '0')), _version_key(version)
    if server_key != wanted_key or not build_number:
        return server_key >= wanted_key
    try:
        return int(server.get('buildNumber')) >= int(build_number)
    except (TypeError, ValueError):  # development builds carry no number
        return True


def is_versioned_context_available():
    """Whether the server keeps a versioned integration context (6.0.0 and later)."""
    return is_demisto_version_ge('6.0.0')


def get_integration_context(sync=True, with_version=False):
    """The integration context; with_version gives {'context': ..., 'version': ...}."""
    if not is_versioned_context_available():
        return demisto.getIntegrationContext()
    versioned = demisto.getIntegrationContextVersioned(sync)
    return versioned if with_version else (versioned.get('context') or {})


def set_integration_context(context, sync=True, version=-1):
    """Stores the integration context (versioned where the server supports it)."""
    if is_versioned_context_available():
        return demisto.setIntegrationContextVersioned(context, version, sync)
    return demisto.setIntegrationContext(context)


def get_last_mirror_run():
    """The object the previous mirroring run stored (server 6.6.0 and later)."""
    if not is_demisto_version_ge('6.6.0'):
        raise DemistoException('get_last_mirror_run needs server version 6.6.0 or later')
    return demisto.getLastMirrorRun() or {}


def set_last_mirror_run(last_mirror_run):
    """Stores an object for the next mirroring run (server 6.6.0 and later)."""
    if not is_demisto_version_ge('6.6.0'):
        raise DemistoException('set_last_mirror_run needs server version 6.6.0 or later')
    demisto.setLastMirrorRun(last_mirror_run)


# --- command results -------------------------------------------------------------------------

class CommandResults:
    """One command result: readable output, raw contents and context outputs.

    With outputs_prefix and outputs_key_field the context key is
    ``prefix(val.K && val.K == obj.K)`` (conditions joined with ' && ' for several keys), so the
    server merges records by key.
    """

    def __init__(self, outputs_prefix=None, outputs_key_field=None, outputs=None, readable_output=None,
                 raw_response=None, ignore_auto_extract=False, mark_as_note=False, entry_type=None,
                 content_format=None, tags=None):
        if outputs is not None and not isinstance(outputs, dict) and not outputs_prefix:
            raise ValueError('outputs_prefix is missing')
        if isinstance(outputs_key_field, str):
            outputs_key_field = [outputs_key_field]
        self.outputs_prefix = outputs_prefix
        self.outputs_key_field = list(outputs_key_field or [])
        self.outputs = outputs
        self.readable_output = readable_output
        self.raw_response = outputs if raw_response is None else raw_response
        self.ignore_auto_extract = ignore_auto_extract
        self.mark_as_note = mark_as_note
        self.entry_type = EntryType.NOTE if entry_type is None else entry_type
        self.content_format = content_format
        self.tags = tags

    def to_context(self):
        """The war-room entry of this result."""
        human_readable = self.readable_output or None
        entry_context = {}
        if self.outputs is not None and self.outputs != []:
            if not self.readable_output:
                human_readable = tableToMarkdown('Results', self.outputs)
            if self.outputs_prefix and self.outputs_key_field:
                condition = ' && '.join('val.{0} && val.{0} == obj.{0}'.format(key)
                                        for key in self.outputs_key_field)
                entry_context['{}({})'.format(self.outputs_prefix, condition)] = self.outputs
            elif self.outputs_prefix:
                entry_context[self.outputs_prefix] = self.outputs
            else:
                entry_context.update(self.outputs)
        contents = self.raw_response if self.raw_response else None
        content_format = self.content_format
        if content_format is None:
            is_text = isinstance(contents, (str, bytes, int))
            content_format = EntryFormat.TEXT if is_text else EntryFormat.JSON
        entry = {'Type': self.entry_type, 'ContentsFormat': content_format, 'Contents': contents,
                 'HumanReadable': human_readable, 'EntryContext': entry_context,
                 'IgnoreAutoExtract': bool(self.ignore_auto_extract), 'Note': bool(self.mark_as_note)}
        if self.tags:
            entry['Tags'] = self.tags
        return entry


def return_results(results):
    """Sends a command's results to the war room.

    None -> results(None); a non-empty list -> dicts and strings batched into one call, anything
    else in it returned on its own; CommandResults -> to_context(); GetMappingFieldsResponse ->
    extract_mapping(); GetRemoteDataResponse -> extract_for_local(); anything with to_entry() ->
    to_entry(); everything else (e.g. the remote id of update-remote-system) as is.
    """
    if results is None:
        demisto.results(None)
    elif isinstance(results, list) and results:
        batched = []
        for result in results:
            if isinstance(result, (dict, str)):
                batched.append(result)
            else:
                return_results(result)
        if batched:
            demisto.results(batched)
    elif isinstance(results, CommandResults):
        demisto.results(results.to_context())
    elif isinstance(results, GetMappingFieldsResponse):
        demisto.results(results.extract_mapping())
    elif isinstance(results, GetRemoteDataResponse):
        demisto.results(results.extract_for_local())
    elif hasattr(results, 'to_entry'):
        demisto.results(results.to_entry())
    else:
        demisto.results(results)


#: Commands whose errors the server handles itself: return_error raises instead of exiting.
_SERVER_HANDLED_COMMANDS = ('fetch-incidents', 'fetch-credentials', 'long-running-execution',
                            'fetch-indicators')


def return_error(message, error='', outputs=None):
    """Ends the command with an error entry (Type 4) and exit status 0.

    fetch-incidents (and the other server-handled commands) raise Exception(message) instead. For
    get-modified-remote-data the message gets the 'skip update. error: ' prefix unless the error
    is a NotImplementedError, which tells the server to fall back to get-remote-data.
    """
    message = message if isinstance(message, str) else str(message)
    LOG(message)
    if error:
        LOG(str(error))
    LOG.print_log()
    command = demisto.command()
    if command == 'get-modified-remote-data':
        cause = error if error else sys.exc_info()[1]
        if not isinstance(cause, NotImplementedError):
            message = 'skip update. error: ' + message
    if command in _SERVER_HANDLED_COMMANDS:
        raise Exception(message)
    demisto.results({'Type': EntryType.ERROR, 'ContentsFormat': EntryFormat.TEXT, 'Contents': message,
                     'EntryContext': outputs})
    sys.exit(0)


def return_outputs(readable_output, outputs=None, raw_response=None, timeline=None, ignore_auto_extract=False):
    """Sends one note entry from readable output, context outputs and a raw response."""
    entry = {'Type': EntryType.NOTE, 'HumanReadable': readable_output,
             'ContentsFormat': EntryFormat.TEXT if isinstance(raw_response, STRING_TYPES) else EntryFormat.JSON,
             'Contents': raw_response, 'EntryContext': outputs, 'IgnoreAutoExtract': ignore_auto_extract,
             'IndicatorTimeline': timeline}
    if readable_output and not outputs and not raw_response:
        entry['Contents'] = readable_output
        entry['ContentsFormat'] = EntryFormat.TEXT
    elif outputs and raw_response is None:
        entry['Contents'] = outputs
    demisto.results(entry)


def fileResult(filename, data, file_type=None):
    """Writes data to ``<investigation id>_<FileID>`` in the working directory; returns the file entry."""
    file_id = demisto.uniqueFile()
    if isinstance(data, str):
        data = data.encode('utf-8')
    with open('{}_{}'.format(demisto.investigation().get('id', ''), file_id), 'wb') as file_:
        file_.write(data)
    return {'Contents': '', 'ContentsFormat': EntryFormat.TEXT,
            'Type': EntryType.FILE if file_type is None else file_type, 'File': filename, 'FileID': file_id}


# --- mirroring -------------------------------------------------------------------------------

class GetRemoteDataArgs:
    """Arguments of get-remote-data: remote_incident_id (id) and last_update (lastUpdate)."""

    def __init__(self, args):
        self.remote_incident_id = args['id']
        self.last_update = args['lastUpdate']


class GetModifiedRemoteDataArgs:
    """Arguments of get-modified-remote-data: last_update (lastUpdate)."""

    def __init__(self, args):
        self.last_update = args['lastUpdate']


class UpdateRemoteSystemArgs:
    """Arguments of update-remote-system."""

    def __init__(self, args):
        self.data = args.get('data')
        self.entries = args.get('entries')
        self.incident_changed = args.get('incidentChanged')
        self.remote_incident_id = args.get('remoteId')
        self.inc_status = args.get('status')
        self.delta = args.get('delta')


class GetRemoteDataResponse:
    """The answer of get-remote-data: the mirrored object and the entries to add."""

    def __init__(self, mirrored_object, entries):
        self.mirrored_object = mirrored_object
        self.entries = entries

    def extract_for_local(self):
        """[mirrored_object] + entries when the object is truthy, else None."""
        if not self.mirrored_object:
            return None
        demisto.info('Updating object {}'.format(self.mirrored_object.get('id')))
        return [self.mirrored_object] + list(self.entries or [])


class GetModifiedRemoteDataResponse:
    """The answer of get-modified-remote-data: modified incident ids, or full incident entries."""

    def __init__(self, modified_incident_ids=None, modified_incident_entries=None):
        self.modified_incident_ids = modified_incident_ids
        self.modified_incident_entries = modified_incident_entries

    def to_entry(self):
        """A JSON note whose Contents is the id list (strings) or the entry list (objects)."""
        if self.modified_incident_entries is not None:
            contents = self.modified_incident_entries
        else:
            contents = self.modified_incident_ids or []
        return {'Contents': contents, 'Type': EntryType.NOTE, 'ContentsFormat': EntryFormat.JSON}


class SchemeTypeMapping:
    """The fields of one incident type for get-mapping-fields."""

    def __init__(self, type_name='', fields=None):
        self.type_name = type_name
        self.fields = fields if fields else {}

    def add_field(self, name, description=''):
        """Adds a field and its description."""
        self.fields[name] = description

    def extract_mapping(self):
        """{type_name: {field: description}}."""
        return {self.type_name: self.fields}


class GetMappingFieldsResponse:
    """The answer of get-mapping-fields: one or more SchemeTypeMapping objects, merged."""

    def __init__(self, scheme_types=None):
        if isinstance(scheme_types, SchemeTypeMapping):
            scheme_types = [scheme_types]
        self.scheme_types = list(scheme_types or [])

    def add_scheme_type(self, scheme_type):
        """Adds one more incident type."""
        self.scheme_types.append(scheme_type)

    def extract_mapping(self):
        """{type_name: fields} over all incident types."""
        mapping = {}
        for scheme_type in self.scheme_types:
            mapping.update(scheme_type.extract_mapping())
        return mapping


# --- HTTP ------------------------------------------------------------------------------------

_PROXY_VARIABLES = ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy')
_CA_BUNDLE_VARIABLES = ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE')


def skip_proxy():
    """Removes the proxy environment variables so requests connects directly."""
    for name in _PROXY_VARIABLES:
        os.environ.pop(name, None)


def skip_cert_verification():
    """Removes the CA bundle environment variables (used with 'Trust any certificate')."""
    for name in _CA_BUNDLE_VARIABLES:
        os.environ.pop(name, None)


def ensure_proxy_has_http_prefix():
    """Prefixes proxy environment variables that lack a scheme with http://."""
    for name in _PROXY_VARIABLES:
        value = os.environ.get(name)
        if value and not value.startswith(('http://', 'https://')):
            os.environ[name] = 'http://' + value


def handle_proxy(proxy_param_name='proxy', checkbox_default_value=False, handle_insecure=True,
                 insecure_param_name=None):
    """Applies the instance's proxy and insecure checkboxes to the environment.

    Returns the proxies dict for requests ({} when the proxy checkbox is off).
    """
    params = demisto.params()
    proxies = {}
    if params.get(proxy_param_name, checkbox_default_value):
        ensure_proxy_has_http_prefix()
        proxies = {'http': os.environ.get('HTTP_PROXY') or os.environ.get('http_proxy', ''),
                   'https': os.environ.get('HTTPS_PROXY') or os.environ.get('https_proxy', '')}
    else:
        skip_proxy()
    if handle_insecure:
        names = (insecure_param_name,) if insecure_param_name else ('insecure', 'unsecure')
        if any(params.get(name, False) for name in names):
            skip_cert_verification()
    return proxies


class BaseClient:
    """The base of integration clients: one requests session and _http_request on it."""

    def __init__(self, base_url, verify=True, proxy=False, ok_codes=(), headers=None, auth=None,
                 timeout=REQUESTS_TIMEOUT):
        self._base_url = base_url
        self._verify = verify
        self._ok_codes = ok_codes
        self._headers = headers
        self._auth = auth
        self.timeout = timeout
        self._session = requests.Session()
        if proxy:
            ensure_proxy_has_http_prefix()
        else:
            skip_proxy()
        if not verify:
            skip_cert_verification()

    def __del__(self):
        session = getattr(self, '_session', None)
        if session is not None:
            session.close()

    def _implement_retry(self, retries=0, status_list_to_retry=None, backoff_factor=5,
                         raise_on_redirect=False, raise_on_status=False):
        """Mounts an adapter that retries failed connections and the listed statuses."""
        retry = Retry(total=retries, read=retries, connect=retries, status=retries,
                      backoff_factor=backoff_factor, status_forcelist=status_list_to_retry,
                      allowed_methods=None, raise_on_redirect=raise_on_redirect,
                      raise_on_status=raise_on_status)
        adapter = HTTPAdapter(max_retries=retry)
        self._session.mount('http://', adapter)
        self._session.mount('https://', adapter)

    def _is_status_code_valid(self, response, ok_codes=None):
        """In ok_codes (or the client's) when given, else any status below 400."""
        codes = ok_codes or self._ok_codes
        return response.status_code in codes if codes else response.ok

    def client_error_handler(self, res):
        """Raises DemistoException naming the status, with the vendor's response text."""
        message = 'Error in API call [{}] - {}'.format(res.status_code, res.reason)
        if res.text:
            message += '\n{}'.format(res.text)
        raise DemistoException(message, res=res)

    def _http_request(self, method, url_suffix='', full_url=None, headers=None, auth=None, json_data=None,
                      params=None, data=None, files=None, timeout=None, resp_type='json', ok_codes=None,
                      return_empty_response=False, retries=0, status_list_to_retry=None, backoff_factor=5,
                      raise_on_redirect=False, raise_on_status=False, error_handler=None,
                      empty_valid_codes=None, **kwargs):
        """Sends one request and returns the response as resp_type: json, text, content or response.

        A status outside ok_codes goes to error_handler(res) or raises DemistoException (with `res`);
        connection failures raise DemistoException. With return_empty_response, a status in
        empty_valid_codes (default [204]) returns the Response object itself.
        """
        url = full_url or urljoin(self._base_url, url_suffix)
        if retries:
            self._implement_retry(retries, status_list_to_retry, backoff_factor, raise_on_redirect,
                                  raise_on_status)
        try:
            res = self._session.request(method, url, verify=self._verify, params=params, data=data,
                                        json=json_data, files=files, headers=headers or self._headers,
                                        auth=auth or self._auth, timeout=timeout or self.timeout, **kwargs)
        except requests.exceptions.SSLError as error:
            raise DemistoException('SSL certificate verification failed for {} - select "Trust any certificate" '
                                   'to skip it. {}'.format(url, error), error) from error
        except requests.exceptions.ProxyError as error:
            raise DemistoException('Proxy error calling {} - if "Use system proxy" is selected, try clearing '
                                   'it. {}'.format(url, error), error) from error
        except requests.exceptions.ConnectionError as error:
            raise DemistoException('Connection error calling {} - verify that the server URL parameter is '
                                   'correct and that the server is reachable. {}'.format(url, error),
                                   error) from error
        except requests.exceptions.Timeout as error:
            raise DemistoException('Timeout calling {} - the server did not answer in time. {}'
                                   .format(url, error), error) from error
        except requests.exceptions.RetryError as error:
            raise DemistoException('Request to {} failed after {} retries. {}'.format(url, retries, error),
                                   error) from error

        if not self._is_status_code_valid(res, ok_codes):
            if error_handler:
                error_handler(res)
            else:
                self.client_error_handler(res)
        if return_empty_response and res.status_code in (empty_valid_codes or [204]):
            return res
        try:
            if resp_type == 'json':
                return res.json()
            if resp_type == 'text':
                return res.text
            if resp_type == 'content':
                return res.content
            return res
        except ValueError as error:
            raise DemistoException('Failed to parse the {} response of {} [{}]: {!r}'
                                   .format(resp_type, url, res.status_code, res.content), error, res) from error
