"""What the runner and the harness both spell, read from protocol.json beside this file.

protocol.json is the one definition: the harness embeds the same file and its tests fail when its
own spellings differ from it. Message names are looked up by role: ``MESSAGES['results']`` is the
``type`` of a results message.
"""

import json
import os

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'protocol.json'),
          encoding='utf-8') as _file:
    _SHARED = json.load(_file)

#: The line the harness writes to shake hands; the runner answers with MESSAGES['pong'].
PING = _SHARED['ping']
#: A reply line holding it makes the script raise ValueError with the text after it.
ERROR_MARKER = _SHARED['errorMarker']
#: What demistoVersion() reports when the start message's harness block names no version.
DEFAULT_SERVER_VERSION = _SHARED['defaultServerVersion']
#: What demistoVersion() reports when the harness block names no build number.
BUILD_NUMBER = _SHARED['buildNumber']
#: The ``type`` of each message the script sends, by role.
MESSAGES = dict(_SHARED['messages'])
#: The levels of ``log`` messages (demisto.info, error and debug).
LOG_LEVELS = tuple(_SHARED['logLevels'])
#: The keys of a start message, and of its ``harness`` block (the harness's own extension).
START_MESSAGE_KEYS = frozenset(_SHARED['startMessage'])
HARNESS_KEYS = frozenset(_SHARED['harness'])
