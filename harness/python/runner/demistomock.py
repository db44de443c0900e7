"""The ``demisto`` object of XSOAR integrations (``import demistomock as demisto``).

Local reads (params, args, command, investigation, ...) come from the current start message.
Everything the server keeps (last run, integration context, mappers, incidents, ...) is asked for
with protocol messages on the channel the runner hands over through begin_run(), which also gives
every run fresh state.
"""

import json
import uuid

from xsoar_protocol import BUILD_NUMBER as DEFAULT_BUILD_NUMBER
from xsoar_protocol import DEFAULT_SERVER_VERSION, LOG_LEVELS, MESSAGES

#: Module global refreshed by each run: {'context': ..., 'integration': ..., 'args': ..., 'command': ...}
callingContext = {}
#: Whether the instance runs in debug mode (the start context's IsDebug).
is_debug = False


class _Run:
    """Per-run state: the start message, the protocol channel and what is cached for the run."""

    def __init__(self, message, channel):
        self.channel = channel
        self.harness = message.get('harness')  # None: a plain XSOAR start message
        self.params = message.get('params') or {}
        self.args = message.get('args') or {}
        self.command = message.get('command') or ''
        self.context = message.get('context') or {}
        self.integration = message.get('integration', True)
        self.version = None
        self.local_context = {}


_run = _Run({}, None)


def begin_run(message, channel):
    """Resets all per-run state from a start message (called by the runner before each run)."""
    global _run, callingContext, is_debug
    _run = _Run(message, channel)
    callingContext = {'context': _run.context, 'integration': _run.integration,
                      'args': _run.args, 'command': _run.command}
    is_debug = bool(_run.context.get('IsDebug'))


def _channel():
    if _run.channel is None:
        raise RuntimeError('demistomock is not connected to a harness (no run was started)')
    return _run.channel


# --- local reads of the start message -------------------------------------------------------

def params():
    """The integration instance's parameters."""
    return _run.params


def args():
    """The command's arguments."""
    return _run.args


def command():
    """The name of the command being run."""
    return _run.command


def getParam(p):
    """One instance parameter, or None."""
    return _run.params.get(p)


def getArg(arg):
    """One command argument, or None."""
    return _run.args.get(arg)


def investigation():
    """The investigation the command runs in (the start context's Inv)."""
    return _run.context.get('Inv') or {}


def integrationInstance():
    """The name of the integration instance."""
    return _run.context.get('IntegrationInstance')


def incident():
    """The first incident of the calling context."""
    return incidents()[0]


def uniqueFile():
    """A fresh unique file name (the FileID of file entries)."""
    return str(uuid.uuid4())


def get(obj, field, defaultParam=None):
    """Reads a dot-separated path (``a.b.c``) from nested dicts; defaultParam when absent."""
    value = obj
    for part in field.split('.'):
        if not isinstance(value, dict) or part not in value:
            return defaultParam
        value = value[part]
    return value


def gets(obj, field):
    """Like get(), as a string ('' when absent)."""
    value = get(obj, field)
    return '' if value is None else str(value)


def dt(obj, trnsfrm):
    """Minimal DT: only plain dot paths are supported."""
    return get(obj, trnsfrm)


def setContext(name, value):
    """Sets a key of the run's local context."""
    _run.local_context[name] = value


def context():
    """The run's local context."""
    return _run.local_context


# --- messages without a reply ---------------------------------------------------------------

def _as_entry(item):
    if isinstance(item, dict):
        if 'Contents' in item and 'ContentsFormat' in item:
            return item
        return {'Type': 1, 'Contents': json.dumps(item), 'ContentsFormat': 'json'}
    return {'Type': 1, 'Contents': str(item), 'ContentsFormat': 'text'}


def results(results):
    """Sends war-room entries; everything of one call goes as one ``result`` message.

    A dict with Contents and ContentsFormat is an entry as is, any other dict becomes a JSON note,
    a list is taken item by item, anything else becomes a text note.
    """
    items = results if isinstance(results, list) else [results]
    _channel().send({'type': MESSAGES['results'], 'results': [_as_entry(item) for item in items]})


def incidents(incidents=None):
    """Without an argument: the calling context's incidents. With a list: returns them (fetch)."""
    if incidents is None:
        return _run.context.get('Incidents') or []
    return results({'Type': 1, 'Contents': json.dumps(incidents), 'ContentsFormat': 'json'})


def log(msg):
    """Writes a line to the integration's log entry."""
    _channel().send({'type': MESSAGES['entryLog'], 'args': {'message': str(msg)}})


# --- messages with a reply ------------------------------------------------------------------

def _server_log(level, messages):
    # The server acknowledges a log line with one reply line, which carries nothing.
    _channel().request({'type': MESSAGES['log'], 'command': level,
                        'args': {'args': [m if isinstance(m, str) else str(m) for m in messages]}})


# protocol.json lists the levels in this order (the harness's tests hold it to that).
_INFO, _ERROR, _DEBUG = LOG_LEVELS


def info(*args):
    """Logs at info level in the server log."""
    _server_log(_INFO, args)


def error(*args):
    """Logs at error level in the server log."""
    _server_log(_ERROR, args)


def debug(*args):
    """Logs at debug level in the server log."""
    _server_log(_DEBUG, args)


def executeCommand(command, args=None):
    """Runs a server command and returns its result."""
    return _channel().request_json({'type': MESSAGES['executeCommand'], 'command': command,
                                    'args': {} if args is None else args})


def demistoVersion():
    """The server's {'version', 'buildNumber'}, determined once per run.

    A start message with the harness's ``harness`` block answers it without a round trip
    (serverVersion and buildNumber, defaults DEFAULT_SERVER_VERSION and DEFAULT_BUILD_NUMBER, from
    protocol.json); a plain start message asks the server with a ``demistoVersion`` message.
    """
    if _run.version is None:
        if _run.harness is not None:
            _run.version = {'version': str(_run.harness.get('serverVersion') or DEFAULT_SERVER_VERSION),
                            'buildNumber': str(_run.harness.get('buildNumber') or DEFAULT_BUILD_NUMBER)}
        else:
            _run.version = _channel().request_json({'type': MESSAGES['demistoVersion']})
    return dict(_run.version)


def getFilePath(id):  # noqa: A002 - the product's parameter name
    """{'id', 'path', 'name'} of the file behind a war-room entry id."""
    return _channel().request_json({'type': MESSAGES['getFile'], 'command': 'getFilePath',
                                    'args': {'id': id}})


def getLastRun():
    """The object the previous fetch stored with setLastRun ({} when none)."""
    value = executeCommand('getLastRun', {})
    return {} if value is None else value


def setLastRun(obj):
    """Stores the object the next fetch will get from getLastRun."""
    return executeCommand('setLastRun', {'value': obj})


def getLastMirrorRun():
    """The object the previous mirroring run stored ({} when none)."""
    value = executeCommand('getLastMirrorRun', {})
    return {} if value is None else value


def setLastMirrorRun(obj):
    """Stores the object the next mirroring run will get from getLastMirrorRun."""
    return executeCommand('setLastMirrorRun', {'value': obj})


def getIntegrationContextVersioned(refresh=False):
    """The instance's integration context with its version: {'context': ..., 'version': ...}."""
    return executeCommand('getIntegrationContext', {'refresh': refresh}) or {}


def getIntegrationContext():
    """The instance's integration context."""
    return getIntegrationContextVersioned().get('context') or {}


def setIntegrationContextVersioned(context, version=-1, sync=False):
    """Stores the integration context; version -1 means "whatever the current version is"."""
    return executeCommand('setIntegrationContext', {'value': context, 'version': version, 'sync': sync})


def setIntegrationContext(context):
    """Stores the integration context."""
    return setIntegrationContextVersioned(context)


def mapObject(obj, mapper, mapper_type):
    """Maps an object through a mapper of the server for one incident type."""
    return executeCommand('mapObject', {'source': obj, 'mapper': mapper, 'mapperType': mapper_type})


def createIncidents(incidents, lastRun=None, userID=None):
    """Creates incidents directly (long-running integrations)."""
    return executeCommand('createIncidents', {'incidents': incidents, 'lastRun': lastRun, 'userID': userID})


def updateModuleHealth(err, is_error=False):
    """Reports the instance's health to the server."""
    return executeCommand('updateModuleHealth', {'err': err, 'isError': is_error})


def addEntry(id, entry, username=None, email=None, footer=None):  # noqa: A002 - the product's name
    """Adds an entry to an investigation's war room."""
    return executeCommand('addEntry', {'id': id, 'entry': entry, 'username': username,
                                       'email': email, 'footer': footer})


def findUser(username='', email=''):
    """Looks up an XSOAR user by username or email."""
    return executeCommand('findUser', {'username': username, 'email': email})
