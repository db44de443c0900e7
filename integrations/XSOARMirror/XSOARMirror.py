"""XSOAR Mirror: mirrors incidents with a remote Cortex XSOAR server (XSOAR-to-XSOAR mirroring).

The integration talks to the remote server's REST API with an API key (`Authorization: <key>`;
on XSOAR 8, when the key id is configured, every path lives under `/xsoar` and the key id goes
in `x-xdr-auth-id`) and implements the XSOAR mirroring contract:

- fetch-incidents searches the remote incidents created since the last run (the configured
  query ANDed with the time bound and the loop guard `-sourceBrand:"XSOARMirror"`, so that an
  incident that itself came from a mirror of ours is never fetched back), oldest first. Each raw
  incident carries `mirror_direction`, `mirror_instance` and `mirror_tags`, which the incoming
  mapper turns into the dbotMirror* fields (and `id` into dbotMirrorId).
- get-modified-remote-data lists the remote incidents modified since the last mirroring run:
  XSOAR 8's modified listing, else (6.x, or a server without it) a search on `modified`.
- get-remote-data returns the remote incident (when it changed since the last sync) and, as
  entries, the remote war-room entries written since then (of the configured categories and
  tags), files included, plus close and reopen instructions. Entries written by the API key's
  own user are what this integration mirrored out: they are skipped, so nothing echoes.
- update-remote-system pushes the local changes: the changed fields (under the remote names the
  outgoing mapper gives them) with the incident version remembered from the last load (a version
  conflict reloads the incident and retries), the entries tagged with the mirror tag as notes,
  chats or files, and the closing or reopening of the incident. A local incident without a
  remote id is created remotely. It returns the remote incident id.
- get-mapping-fields describes, per remote incident type, the fields the remote server takes.

A 429 from the remote server becomes an error containing 'API rate limit', which tells the server
to retry in the next run instead of losing updates. Server errors (5xx) are retried a few times
within the command.
"""
import demistomock as demisto  # noqa: F401
from CommonServerPython import *  # noqa: F401
from CommonServerUserPython import *  # noqa: F401

# Imported after the star imports so that nothing those modules export shadows them.
import json  # noqa: E402
import mimetypes  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402

# The brand incidents created by this integration carry on the remote server (sourceBrand), and
# the brand the fetch's loop guard excludes.
BRAND = 'XSOARMirror'

# The line added to every entry mirrored out, so that a reader on the remote server knows where it
# came from.
MIRROR_MARKER = 'Mirrored from Cortex XSOAR'

DEFAULT_QUERY = '-status:closed'
DEFAULT_MAX_FETCH = 50
MAX_FETCH_LIMIT = 200
DEFAULT_FIRST_FETCH = '3 days'
DEFAULT_MIRROR_TAG = 'ForRemote'
ENTRY_CATEGORIES = ('notes', 'chats', 'attachments')

# Entries read per request of `POST /investigation/{id}`.
ENTRY_PAGE_SIZE = 100
# A safety net: never read more pages than this in one get-remote-data.
ENTRY_MAX_PAGES = 100

# get-modified-remote-data's search fallback: page size and page bound.
MODIFIED_PAGE_SIZE = 100
MODIFIED_MAX_PAGES = 50

# Tries of a push that hits a version conflict (409): reload and try again.
VERSION_TRIES = 3
# Tries of a request the remote server answers with a 5xx.
SERVER_ERROR_TRIES = 3
SERVER_ERROR_BACKOFF_SECONDS = 0.2

# mirror_direction param option -> the dbotMirrorDirection value.
MIRROR_DIRECTIONS = {
    'none': None,
    'incoming': 'In',
    'outgoing': 'Out',
    'incoming and outgoing': 'Both',
}

# Incident fields the remote API takes at the top level of an incident body; every other field
# the outgoing mapper produces is a custom field (sent under CustomFields, by cliName).
TOP_LEVEL_FIELDS = {
    'name': 'The incident name.',
    'severity': 'The severity: 0 Unknown, 0.5 Informational, 1 Low, 2 Medium, 3 High, 4 Critical.',
    'owner': 'The username of the incident owner.',
    'details': 'The incident details.',
    'occurred': 'When the incident occurred (ISO 8601).',
    'closeReason': 'The close reason, set when the incident is closed.',
    'closeNotes': 'The close notes, set when the incident is closed.',
}
# Sent only with the closing of the incident, never as ordinary field changes.
CLOSING_FIELDS = ('closeReason', 'closeNotes')
# Fields an incident body never carries as edits.
NEVER_PUSHED = ('id', 'version', 'status', 'type', 'created', 'modified', 'closed',
                'investigationId', 'CustomFields', 'dbotMirrorId', 'dbotMirrorDirection',
                'dbotMirrorInstance', 'dbotMirrorTags', 'dbotMirrorLastSync', 'dbotDirtyFields',
                'dbotCurrentDirtyFields')

# Entry types that carry a file.
FILE_ENTRY_TYPES = (3, 7, 9, 10, 12)  # file, image, entry info file, video, static video

# The remote server's incident statuses.
REMOTE_ACTIVE = 1
REMOTE_DONE = 2

# Integration context keys.
CTX_USER = 'user'            # the API key's user on the remote server
CTX_REMOTE = 'remote'        # remote id -> {version, status, investigationId} as last seen
CTX_CLOSED = 'closed'        # remote ids known closed on both sides
CTX_PUSHED = 'pushed'        # remote id -> local entry ids sent by a push that then failed
CTX_RETRY = 'retry'          # remote ids whose last get-remote-data failed: listed again
CTX_CREATED = 'created'      # local incident id -> the remote incident a failed push created


class RateLimitError(Exception):
    """The remote server answered 429: the caller must report 'API rate limit' and retry later."""


class AuthError(Exception):
    """The remote server refused the API key (401 / 403)."""


class VersionConflict(Exception):
    """The remote server refused a write made with a stale incident version (409)."""


# --- time helpers -------------------------------------------------------------------------------

_ISO_TIME = re.compile(
    r'^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?'
    r'\s*(Z|[+-]\d{2}:?\d{2})?$'
)
_RELATIVE_TIME = re.compile(
    r'^(\d+)\s*(minute|min|hour|day|week|month|year)s?(?:\s+ago)?$', re.IGNORECASE
)
_UNIT_SECONDS = {
    'minute': 60, 'min': 60, 'hour': 3600, 'day': 86400, 'week': 7 * 86400,
    'month': 30 * 86400, 'year': 365 * 86400,
}


def now_utc():
    """The current time (the server's clock) as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def parse_time(value):
    """An aware UTC datetime from ISO 8601 text (with or without fraction and offset)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    match = _ISO_TIME.match(str(value or '').strip())
    if not match:
        raise ValueError(f'Unrecognized time: {value!r}')
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or '0')[:6].ljust(6, '0'))
    parsed = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                      int(second or 0), micro, tzinfo=timezone.utc)
    if offset and offset != 'Z':
        sign = 1 if offset[0] == '+' else -1
        digits = offset[1:].replace(':', '')
        parsed -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return parsed


def to_iso(value):
    """ISO 8601 UTC with milliseconds, as the XSOAR API writes times."""
    moment = parse_time(value).astimezone(timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.') + f'{moment.microsecond // 1000:03d}Z'


def is_after(value, than):
    """Whether the time `value` is strictly after `than` (unreadable times count as after)."""
    try:
        return parse_time(value) > parse_time(than)
    except ValueError:
        return True


def first_fetch_time(text):
    """The start of the first fetch from "3 days", "12 hours", "1 week ago" or a date."""
    text = str(text or '').strip() or DEFAULT_FIRST_FETCH
    match = _RELATIVE_TIME.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        return now_utc() - timedelta(seconds=amount * _UNIT_SECONDS[unit])
    try:
        return parse_time(text)
    except ValueError:
        raise ValueError(
            f'Invalid first fetch time {text!r}: use e.g. "3 days", "12 hours" or a date.'
        ) from None


# --- configuration ------------------------------------------------------------------------------

def _as_bool(value, default=False):
    if value is None or value == '':
        return default
    return argToBoolean(value)


def _api_key(value):
    """The API key from an encrypted param (text) or a credentials param ({password})."""
    if isinstance(value, dict):
        value = value.get('password') or value.get('identifier') or ''
    return str(value or '').strip()


class Settings:
    """The instance parameters the commands use, parsed once."""

    def __init__(self, params):
        self.url = str(params.get('url') or '').strip().rstrip('/')
        self.api_key = _api_key(params.get('apikey'))
        self.api_key_id = str(params.get('api_key_id') or '').strip()
        query = params.get('query')
        self.query = (DEFAULT_QUERY if query is None else str(query)).strip()
        self.max_fetch = self._max_fetch(params.get('max_fetch'))
        self.first_fetch = params.get('first_fetch') or DEFAULT_FIRST_FETCH
        self.is_fetch = _as_bool(params.get('isFetch'))
        direction = str(params.get('mirror_direction') or 'None').strip().lower()
        if direction not in MIRROR_DIRECTIONS:
            raise ValueError(f'Invalid mirror_direction {params.get("mirror_direction")!r}: use None, '
                             'Incoming, Outgoing or Incoming And Outgoing.')
        self.mirror_direction = MIRROR_DIRECTIONS[direction]
        self.mirror_tag = str(params.get('mirror_tag') or DEFAULT_MIRROR_TAG).strip()
        categories = argToList(params.get('mirror_categories')) if params.get('mirror_categories') \
            is not None else list(ENTRY_CATEGORIES)
        categories = [str(c).strip().lower() for c in categories if str(c).strip()]
        unknown = [c for c in categories if c not in ENTRY_CATEGORIES]
        if unknown:
            raise ValueError(f'Unknown entry categories {unknown}: use notes, chats, attachments.')
        self.categories = categories or list(ENTRY_CATEGORIES)
        self.incoming_tags = [str(t).strip() for t in argToList(params.get('incoming_tags'))
                              if str(t).strip()]
        operator = str(params.get('incoming_tags_operator') or 'OR').strip().upper()
        if operator not in ('OR', 'AND'):
            raise ValueError(f'Invalid incoming_tags_operator {operator!r}: use OR or AND.')
        self.tags_and = operator == 'AND'
        self.close_incident = _as_bool(params.get('close_incident'))
        self.close_out = _as_bool(params.get('close_out'))
        self.mapper_out = params.get('mapper-out') or ''
        self.incident_type = params.get('incidentType') or ''
        self.verify = not _as_bool(params.get('insecure'))
        self.proxy = _as_bool(params.get('proxy'))

    @staticmethod
    def _max_fetch(value):
        if value in (None, ''):
            return DEFAULT_MAX_FETCH
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(f'max_fetch must be a whole number, got {value!r}.') from None
        if not 1 <= number <= MAX_FETCH_LIMIT:
            raise ValueError(f'max_fetch must be from 1 to {MAX_FETCH_LIMIT}, got {number}.')
        return number


# --- client -------------------------------------------------------------------------------------

def _status_of(error):
    res = getattr(error, 'res', None)
    return getattr(res, 'status_code', None) if res is not None else None


def _error_detail(error):
    """The remote server's `detail` (or `error`) of an error response, else the error text."""
    res = getattr(error, 'res', None)
    if res is not None:
        try:
            body = res.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and (body.get('detail') or body.get('error')):
            return str(body.get('detail') or body.get('error'))
    return str(error)


class Client(BaseClient):
    """The remote XSOAR server's REST API, authenticated by an API key."""

    def __init__(self, settings):
        self.xsoar8 = bool(settings.api_key_id)
        base = settings.url + ('/xsoar' if self.xsoar8 and not settings.url.endswith('/xsoar') else '')
        headers = {'Authorization': settings.api_key, 'Accept': 'application/json'}
        if self.xsoar8:
            headers['x-xdr-auth-id'] = settings.api_key_id
        super().__init__(base_url=base + '/', verify=settings.verify, proxy=settings.proxy,
                         headers=headers)

    def _request(self, method, url_suffix, **kwargs):
        """One request; 429 -> RateLimitError, 401/403 -> AuthError, 409 -> VersionConflict, and a
        5xx is tried again (SERVER_ERROR_TRIES in all)."""
        for attempt in range(1, SERVER_ERROR_TRIES + 1):
            try:
                return self._http_request(method=method, url_suffix=url_suffix, **kwargs)
            except DemistoException as error:
                status = _status_of(error)
                if status == 429:
                    res = error.res
                    retry_after = res.headers.get('Retry-After') if res is not None else None
                    hint = f', retry after {retry_after} s' if retry_after else ''
                    raise RateLimitError(
                        f'the remote XSOAR server answered 429 to {method} /{url_suffix}{hint}'
                    ) from error
                if status in (401, 403):
                    raise AuthError(self._auth_message(status, error)) from error
                if status == 409:
                    raise VersionConflict(_error_detail(error)) from error
                if status is not None and status >= 500 and attempt < SERVER_ERROR_TRIES:
                    demisto.debug(f'{method} /{url_suffix} answered {status}, trying again '
                                  f'({attempt}/{SERVER_ERROR_TRIES})')
                    time.sleep(SERVER_ERROR_BACKOFF_SECONDS * attempt)
                    continue
                raise
        raise DemistoException(f'{method} /{url_suffix} failed')  # not reached

    def _auth_message(self, status, error):
        detail = _error_detail(error)
        if status == 401:
            hint = ('the API key is missing or, on XSOAR 8, the API key ID is wrong'
                    if self.xsoar8 else
                    'the API key is missing or invalid (on XSOAR 8 also set the API key ID)')
            return f'Authentication failed (401): {hint}. Server said: {detail}'
        return (f'Authorization failed (403): the remote server refused the API key; check the key '
                f'and its permissions. Server said: {detail}')

    # incidents
    def get_user(self):
        return self._request('GET', 'user')

    def search(self, query, size, page=0, sort_field='created', asc=True, from_date=None):
        incident_filter = {'query': query, 'size': size, 'page': page,
                           'sort': [{'field': sort_field, 'asc': asc}]}
        if from_date:
            incident_filter['fromDate'] = from_date
        response = self._request('POST', 'incidents/search', json_data={'filter': incident_filter})
        return (response or {}).get('data') or [], (response or {}).get('total') or 0

    def load(self, incident_id):
        return self._request('GET', f'incident/load/{incident_id}')

    def save(self, body):
        return self._request('POST', 'incident', json_data=body)

    def reopen(self, incident_id, version):
        return self._request('POST', 'incident/reopen', json_data={'id': incident_id, 'version': version})

    def close(self, incident_id, version, reason, notes):
        return self._request('POST', 'incident/close', json_data={
            'id': incident_id, 'version': version, 'closeReason': reason, 'closeNotes': notes})

    def modified_since(self, from_date):
        """XSOAR 8's listing of the incidents modified after `from_date`; None when the server has
        no such listing (404, or a 303 to a login page)."""
        res = self._request('POST', 'public/v1/incidents/modified', json_data={'fromDate': from_date},
                            resp_type='response', ok_codes=(200, 303, 404), allow_redirects=False)
        if res.status_code in (303, 404):
            return None
        body = res.json() or {}
        return [str(item.get('id')) for item in body.get('data') or [] if item.get('id') is not None]

    def incident_fields(self):
        return self._request('GET', 'incidentfields') or []

    def incident_types(self):
        return self._request('GET', 'incidenttype') or []

    # entries
    def entries(self, investigation_id, from_time, page_size, categories, tags, tags_and):
        body = {'pageSize': page_size, 'categories': categories, 'tags': tags,
                'tagsAndOperator': tags_and}
        if from_time:
            body['fromTime'] = from_time
        response = self._request('POST', f'investigation/{investigation_id}', json_data=body) or {}
        return response.get('entries') or [], response.get('total') or 0

    def download(self, entry_id):
        return self._request('GET', f'entry/download/{entry_id}', resp_type='content')

    def add_note(self, investigation_id, text, markdown, tags):
        body = {'investigationId': investigation_id, 'data': text, 'markdown': markdown}
        if tags:
            body['tags'] = tags
        return self._request('POST', 'entry/note', json_data=body)

    def add_chat(self, investigation_id, text, entry_format, tags):
        body = {'investigationId': investigation_id, 'contents': text, 'format': entry_format}
        if tags:
            body['tags'] = tags
        return self._request('POST', 'entry/formatted', json_data=body)

    def upload(self, investigation_id, name, path, comment, tags):
        content_type = mimetypes.guess_type(name)[0] or 'application/octet-stream'
        data = {'fileComment': comment}
        if tags:
            data['tags'] = ','.join(tags)
        with open(path, 'rb') as handle:
            return self._request('POST', f'entry/upload/{investigation_id}', data=data,
                                 files={'file': (name, handle, content_type)})


# --- integration context ------------------------------------------------------------------------

def _context():
    return demisto.getIntegrationContext() or {}


def _update_context(**changes):
    context = _context()
    context.update(changes)
    demisto.setIntegrationContext(context)


def remember_remote(incident):
    """Keeps the version, status and investigation of a remote incident just read or written."""
    if not isinstance(incident, dict) or incident.get('id') in (None, ''):
        return
    context = _context()
    remote = context.get(CTX_REMOTE) or {}
    remote[str(incident['id'])] = {
        'version': incident.get('version'),
        'status': incident.get('status'),
        'investigationId': incident.get('investigationId') or '',
    }
    context[CTX_REMOTE] = remote
    demisto.setIntegrationContext(context)


def remembered(remote_id):
    return (_context().get(CTX_REMOTE) or {}).get(str(remote_id)) or {}


def known_closed(remote_id):
    return str(remote_id) in (_context().get(CTX_CLOSED) or [])


def set_known_closed(remote_id, closed):
    context = _context()
    ids = set(context.get(CTX_CLOSED) or [])
    if closed:
        ids.add(str(remote_id))
    else:
        ids.discard(str(remote_id))
    context[CTX_CLOSED] = sorted(ids)
    demisto.setIntegrationContext(context)


def pushed_entries(remote_id):
    """The local entry ids a previous, failed push of this incident already sent."""
    return set((_context().get(CTX_PUSHED) or {}).get(str(remote_id)) or [])


def set_pushed_entries(remote_id, entry_ids):
    """Remembers the entries sent so far (None forgets them: the push went through, the server
    will not hand them over again)."""
    context = _context()
    pushed = context.get(CTX_PUSHED) or {}
    if entry_ids:
        pushed[str(remote_id)] = sorted(entry_ids)
    else:
        pushed.pop(str(remote_id), None)
    if pushed:
        context[CTX_PUSHED] = pushed
    else:
        context.pop(CTX_PUSHED, None)
    demisto.setIntegrationContext(context)


def failed_syncs():
    """The remote ids whose last get-remote-data failed."""
    return set(_context().get(CTX_RETRY) or [])


def set_sync_failed(remote_id, failed):
    """Records whether the last get-remote-data of a remote incident failed; get-modified-remote-data
    lists the failed ones again, so the server asks for them in the next run even when nothing
    changed on the remote since (the server moves its lastUpdate on after such a run)."""
    ids = failed_syncs()
    if failed == (str(remote_id) in ids):
        return
    if failed:
        ids.add(str(remote_id))
    else:
        ids.discard(str(remote_id))
    context = _context()
    if ids:
        context[CTX_RETRY] = sorted(ids)
    else:
        context.pop(CTX_RETRY, None)
    demisto.setIntegrationContext(context)


def own_username(client):
    """The remote user of the API key (what this integration's entries are written as), cached."""
    cached = (_context().get(CTX_USER) or {}).get('username')
    if cached:
        return cached
    user = client.get_user() or {}
    username = user.get('username')
    if not username:
        # Without it every entry mirrored out would come back in: refuse to go on.
        raise DemistoException('The remote server did not say which user the API key belongs to '
                               f'(GET /user answered {user!r}); entries cannot be told from our own.')
    _update_context(**{CTX_USER: {'username': username, 'id': user.get('id')}})
    return username


# --- helpers ------------------------------------------------------------------------------------

def _load(value, default):
    """Server arguments may arrive as JSON text."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return default
        try:
            return json.loads(value)
        except ValueError:
            return default
    return default if value is None else value


def join_query(*terms):
    """The terms joined with `and` (empty ones dropped)."""
    return ' and '.join(term.strip() for term in terms if term and term.strip())


def quote(value):
    return '"' + str(value).replace('\\', '\\\\').replace('"', '\\"') + '"'


def as_number(value):
    """A severity (or other number) as the API takes it: 2, 0.5."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            return value
    return int(number) if number.is_integer() else number


def incident_body(fields):
    """An incident body from remote-named fields: the top-level ones as they are, the others
    under CustomFields."""
    body, custom = {}, {}
    for key, value in fields.items():
        if key in NEVER_PUSHED:
            continue
        if key == 'severity':
            body[key] = as_number(value)
        elif key in TOP_LEVEL_FIELDS:
            body[key] = '' if value is None else value
        else:
            custom[key] = value
    if custom:
        body['CustomFields'] = custom
    return body


# --- test-module and fetch-incidents ------------------------------------------------------------

def test_module(client, settings):
    """Checks the URL and the key (`GET /user`) and the fetch query (one search)."""
    if settings.is_fetch:
        first_fetch_time(settings.first_fetch)
    client.get_user()
    client.search(join_query(settings.query, f'-sourceBrand:{quote(BRAND)}'), size=1)
    return 'ok'


def add_mirror_fields(incident, settings):
    """The remote incident with the fields the incoming mapper turns into the dbotMirror* fields."""
    raw = dict(incident)
    raw['mirror_direction'] = settings.mirror_direction
    raw['mirror_instance'] = demisto.integrationInstance()
    raw['mirror_tags'] = [settings.mirror_tag]
    return raw


def remote_to_incident(remote, settings):
    """An XSOAR incident for a fetched remote incident; rawJSON is the remote incident."""
    incident = {
        'name': remote.get('name') or f'Remote XSOAR incident {remote.get("id")}',
        'occurred': remote.get('occurred') or remote.get('created'),
        'type': remote.get('type') or '',
        'rawJSON': json.dumps(add_mirror_fields(remote, settings)),
    }
    if remote.get('severity') is not None:
        incident['severity'] = as_number(remote.get('severity'))
    if settings.mirror_direction:
        incident.update({
            'dbotMirrorId': str(remote.get('id')),
            'dbotMirrorDirection': settings.mirror_direction,
            'dbotMirrorInstance': demisto.integrationInstance(),
            'dbotMirrorTags': [settings.mirror_tag],
        })
    return incident


def fetch_incidents(client, settings, last_run):
    """Fetches the remote incidents created since the last run, oldest first.

    lastRun is {'time': <created of the newest fetched incident>, 'ids': [the remote ids fetched
    with exactly that created time]}. The bound includes that instant (>=) so that incidents
    created in the same millisecond are not lost; the ids keep those already fetched from being
    fetched twice.

    :return: (incidents, next lastRun)
    """
    since = last_run.get('time') or to_iso(first_fetch_time(settings.first_fetch))
    seen = set(last_run.get('ids') or [])
    query = join_query(settings.query, f'created:>={quote(since)}', f'-sourceBrand:{quote(BRAND)}')
    # Ask for the already-fetched incidents of that instant on top, so that a full page holds
    # max_fetch new ones when there are that many.
    remotes, _total = client.search(query, size=settings.max_fetch + len(seen))

    incidents = []
    newest, newest_ids = since, set(seen)
    for remote in remotes:
        remote_id = str(remote.get('id'))
        if remote_id in seen:
            continue
        if remote.get('sourceBrand') == BRAND:  # the loop guard, should the query not hold it
            continue
        if len(incidents) >= settings.max_fetch:
            break
        incidents.append(remote_to_incident(remote, settings))
        remember_remote(remote)
        created = to_iso(remote['created']) if remote.get('created') else since
        if parse_time(created) > parse_time(newest):
            newest, newest_ids = created, {remote_id}
        elif parse_time(created) == parse_time(newest):
            newest_ids.add(remote_id)
    return incidents, {'time': newest, 'ids': sorted(newest_ids)}


# --- incoming mirroring -------------------------------------------------------------------------

def get_modified_remote_data_command(client, args):
    """The remote ids modified since lastUpdate: XSOAR 8's listing, else a search on `modified`."""
    parsed = GetModifiedRemoteDataArgs(args)
    since = to_iso(parsed.last_update or now_utc())
    ids = client.modified_since(since) if client.xsoar8 else None
    if ids is None:
        ids = []
        query = f'modified:>{quote(since)}'
        for page in range(MODIFIED_MAX_PAGES):
            remotes, total = client.search(query, size=MODIFIED_PAGE_SIZE, page=page,
                                           sort_field='id', asc=True)
            ids.extend(str(remote.get('id')) for remote in remotes if remote.get('id') is not None)
            if len(remotes) < MODIFIED_PAGE_SIZE or (page + 1) * MODIFIED_PAGE_SIZE >= total:
                break
        else:
            # Stopping here would lose the rest: fail so the next run asks again.
            raise DemistoException(f'More than {MODIFIED_MAX_PAGES * MODIFIED_PAGE_SIZE} modified '
                                   f'remote incidents since {since}; skip update for this run.')
    # Only the incidents this instance mirrors (fetched or created by it, remembered in the
    # integration context); the query language has no `or` to say so to the server. Without
    # that record (a reset context) every modified id goes back and the server keeps its own.
    mirrored = set(_context().get(CTX_REMOTE) or {})
    if mirrored:
        ids = [remote_id for remote_id in ids if remote_id in mirrored]
    # And those whose last sync failed: their changes are still to be read.
    ids = list(ids) + sorted(failed_syncs())
    return GetModifiedRemoteDataResponse(sorted(set(ids), key=lambda i: (len(i), i)))


def read_entries(client, investigation_id, since, settings):
    """Every remote entry of the investigation created after `since` that matches the configured
    categories and tags, oldest first, read page by page.

    The server answers entries created strictly after fromTime; each next page starts a
    millisecond before the last entry read, so entries sharing that instant are not lost, and the
    entry ids drop the ones read twice.
    """
    found, seen = [], set()
    cursor, page_size = since, ENTRY_PAGE_SIZE
    for _page in range(ENTRY_MAX_PAGES):
        page, total = client.entries(investigation_id, cursor, page_size, settings.categories,
                                     settings.incoming_tags, settings.tags_and)
        fresh = [entry for entry in page if entry.get('id') not in seen]
        for entry in fresh:
            seen.add(entry.get('id'))
            found.append(entry)
        if len(page) < page_size or len(page) >= total:
            break
        if not fresh:  # one instant holds a whole page: read a bigger one
            page_size *= 2
            continue
        last = page[-1].get('created')
        try:
            cursor = to_iso(parse_time(last) - timedelta(milliseconds=1))
        except ValueError as error:
            raise DemistoException(f'The remote war room {investigation_id} answered an entry time '
                                   f'that is not ISO 8601: {last!r}') from error
    else:
        # Stopping here would lose the rest: fail so that this incident is read again.
        raise DemistoException(f'The remote war room {investigation_id} holds more than '
                               f'{ENTRY_MAX_PAGES} pages of new entries; read again next run.')
    return found


def mirrored_tags(entry, settings):
    """The remote tags an entry keeps locally (never the mirror tag: it would send it back)."""
    return [tag for tag in entry.get('tags') or [] if tag and tag != settings.mirror_tag]


def entry_to_local(client, entry, settings):
    """The war-room entry for one remote entry: a note for text, a file for files; None for a
    file the remote server no longer has (404). Any other download failure raises, so that the
    server keeps lastUpdate and the next run reads the entry again."""
    user = entry.get('user') or 'unknown'
    try:
        entry_type = int(entry.get('type'))
    except (TypeError, ValueError):
        entry_type = EntryType.NOTE
    if entry_type in FILE_ENTRY_TYPES or entry.get('category') == 'attachments':
        try:
            content = client.download(entry.get('id'))
        except DemistoException as error:
            if _status_of(error) != 404:
                raise  # the sync fails and the next run reads the entry again
            # Gone from the remote war room since it was listed: nothing left to mirror.
            demisto.error(f'The remote file entry {entry.get("id")} is gone: {error}')
            return None
        local = fileResult(entry.get('file') or 'attachment', content)
        local['Tags'] = mirrored_tags(entry, settings)
        return local
    kind = 'note' if entry.get('note') else 'chat message'
    header = f'Remote XSOAR {kind} by {user} ({entry.get("created") or "unknown time"}):'
    contents = entry.get('contents')
    if not isinstance(contents, str):
        contents = json.dumps(contents)
    markdown = entry.get('format') == 'markdown'
    return {
        'Type': EntryType.NOTE,
        'Contents': f'{header}\n{contents}',
        'ContentsFormat': EntryFormat.MARKDOWN if markdown else EntryFormat.TEXT,
        'Tags': mirrored_tags(entry, settings),
        'Note': bool(entry.get('note')),
    }


def status_entries(remote, settings):
    """A close entry for a remote incident closed on the remote server, a reopen entry for one
    active again after both sides were closed. Only with close_incident on; each transition is
    mirrored once (the integration context keeps the ids known closed on both sides)."""
    if not settings.close_incident:
        return []
    remote_id = str(remote.get('id'))
    try:
        status = int(remote.get('status'))
    except (TypeError, ValueError):
        return []
    if status == REMOTE_DONE:
        if known_closed(remote_id):
            return []
        set_known_closed(remote_id, True)
        return [{
            'Type': EntryType.NOTE,
            'Contents': {
                'dbotIncidentClose': True,
                'closeReason': remote.get('closeReason') or 'Closed on the remote XSOAR server',
                'closeNotes': remote.get('closeNotes') or '',
            },
            'ContentsFormat': EntryFormat.JSON,
        }]
    if status == REMOTE_ACTIVE and known_closed(remote_id):
        set_known_closed(remote_id, False)
        return [{
            'Type': EntryType.NOTE,
            'Contents': {'dbotIncidentReopen': True},
            'ContentsFormat': EntryFormat.JSON,
        }]
    return []


def remote_data_results(mirrored_object, entries):
    """What get-remote-data returns: [object, entries...], the object {} when nothing changed
    (GetRemoteDataResponse would drop the entries of an empty object)."""
    if mirrored_object:
        return GetRemoteDataResponse(mirrored_object, entries)
    return [{}] + entries


def get_remote_data_command(client, args, settings):
    """The remote incident (when modified since lastUpdate), its new entries and its status."""
    parsed = GetRemoteDataArgs(args)
    remote_id = str(parsed.remote_incident_id)
    since = to_iso(parsed.last_update) if parsed.last_update else None

    remote = client.load(remote_id) or {}
    remember_remote(remote)
    me = own_username(client)

    entries = []
    investigation_id = remote.get('investigationId')
    if investigation_id:
        for entry in read_entries(client, investigation_id, since, settings):
            if me and entry.get('user') == me:
                continue  # written by this integration (mirrored out): never echo it back
            local = entry_to_local(client, entry, settings)
            if local is not None:
                entries.append(local)
    entries += status_entries(remote, settings)

    changed = since is None or is_after(remote.get('modified'), since)
    set_sync_failed(remote_id, False)
    return remote_data_results(remote if changed else {}, entries)


# --- outgoing mirroring -------------------------------------------------------------------------

def changed_remote_fields(data, delta, settings, incident_type):
    """The remote fields to update: the outgoing-mapped `data` limited to what changed locally.

    `data` is the incident after the outgoing mapper (remote names); `delta` holds the fields
    changed locally (local names). Delta keys the mapped data has are taken as they are (XSOAR
    names are the same on both sides); the others go through the outgoing mapper to learn which
    remote fields they feed. Values always come from `data`.
    """
    if not delta:
        return {}
    changed = {key: data[key] for key in delta if key in data}
    if settings.mapper_out:
        try:
            mapped = demisto.mapObject(delta, settings.mapper_out, incident_type) or {}
        except Exception as error:  # no such mapper: only directly named fields are known
            demisto.error(f'Cannot map the delta with {settings.mapper_out!r}: {error}')
            mapped = {}
        for key, value in mapped.items():
            changed[key] = data.get(key, value)
    return {key: value for key, value in changed.items() if key not in CLOSING_FIELDS}


def current_version(client, remote_id, reload=False):
    """The remote incident's version as last seen, loading it when unknown (or asked to)."""
    known = remembered(remote_id)
    if reload or known.get('version') is None:
        remote = client.load(remote_id)
        remember_remote(remote)
        known = remembered(remote_id)
    return known.get('version')


def write_with_version(client, remote_id, write, what):
    """Runs `write(version)` with the remembered version; on a version conflict reloads the
    incident and tries again, VERSION_TRIES times in all. Returns the incident written."""
    version = current_version(client, remote_id)
    for attempt in range(1, VERSION_TRIES + 1):
        try:
            written = write(version)
            remember_remote(written)
            return written
        except VersionConflict as conflict:
            demisto.debug(f'{what} of remote incident {remote_id}: version {version} is stale '
                          f'({conflict}); reloading ({attempt}/{VERSION_TRIES})')
            if attempt == VERSION_TRIES:
                raise DemistoException(
                    f'Could not {what} remote incident {remote_id}: it kept changing on the remote '
                    f'server (version conflict {VERSION_TRIES} times in a row). Last answer: {conflict}'
                ) from conflict
            version = current_version(client, remote_id, reload=True)
    return None  # not reached


def entry_text(entry):
    contents = entry.get('contents')
    if contents is None:
        contents = entry.get('Contents', '')
    return contents if isinstance(contents, str) else json.dumps(contents)


def push_entry(client, investigation_id, entry, settings):
    """Sends one tagged local entry: a file as an upload, a note as a note, anything else as a chat
    entry; each carries the mirror marker."""
    tags = [tag for tag in entry.get('tags') or [] if tag != settings.mirror_tag]
    try:
        entry_type = int(entry.get('type'))
    except (TypeError, ValueError):
        entry_type = None
    if entry_type in FILE_ENTRY_TYPES or entry.get('file'):
        file_info = demisto.getFilePath(entry.get('id'))
        name = file_info.get('name') or entry.get('file') or 'attachment'
        client.upload(investigation_id, name, file_info['path'], MIRROR_MARKER, tags)
        return
    entry_format = entry.get('format') or EntryFormat.TEXT
    if entry_format not in (EntryFormat.TEXT, EntryFormat.MARKDOWN, EntryFormat.JSON):
        entry_format = EntryFormat.TEXT
    if entry_format == EntryFormat.JSON:
        entry_format = EntryFormat.TEXT
    text = f'{entry_text(entry)}\n\n{MIRROR_MARKER}'
    if _as_bool(entry.get('note')):
        client.add_note(investigation_id, text, entry_format == EntryFormat.MARKDOWN, tags)
    else:
        client.add_chat(investigation_id, text, entry_format, tags)


def local_incident():
    """The local incident being pushed (the calling context's), {} when there is none."""
    try:
        return demisto.incident() or {}
    except Exception:  # no incident in the calling context
        return {}


def local_direction(incident, settings):
    """The mirroring direction of the incident being pushed: its own, else the instance's."""
    direction = incident.get('dbotMirrorDirection')
    return direction if direction in ('In', 'Out', 'Both', 'None') else settings.mirror_direction


def create_remote(client, data, settings):
    """Creates the remote incident of a local one that has none yet; returns it."""
    body = incident_body(data)
    body.pop('closeReason', None)
    body.pop('closeNotes', None)
    body['createInvestigation'] = True
    body['sourceBrand'] = BRAND
    body['sourceInstance'] = demisto.integrationInstance()
    created = client.save(body)
    remember_remote(created)
    return created


def update_remote_system_command(client, args, settings):
    """Pushes local changes to the remote server; returns the remote incident id."""
    parsed = UpdateRemoteSystemArgs(args)
    data = _load(parsed.data, {})
    delta = _load(parsed.delta, {})
    entries = _load(parsed.entries, [])
    incident_changed = _as_bool(parsed.incident_changed)
    try:
        status = int(parsed.inc_status)
    except (TypeError, ValueError):
        status = None
    remote_id = str(parsed.remote_incident_id or '')

    incident = local_incident()
    if local_direction(incident, settings) not in ('Out', 'Both'):
        demisto.debug(f'Remote incident {remote_id}: not mirrored out, nothing pushed.')
        return remote_id

    local_id = str(incident.get('id') or '')
    created = _context().get(CTX_CREATED) or {}
    just_created = False
    if not remote_id and local_id and created.get(local_id):
        # An earlier push created the remote incident and then failed (a rate limit, say), so
        # the server never learnt its id: go on with that one instead of creating another.
        remote_id = created[local_id]
    elif not remote_id:
        new_id = create_remote(client, data, settings).get('id')
        if new_id in (None, ''):
            raise DemistoException('The remote server created the incident but answered no id.')
        remote_id, just_created = str(new_id), True
        if local_id:
            _update_context(**{CTX_CREATED: dict(created, **{local_id: remote_id})})
    # A create sent the whole incident; any other push sends what changed.
    if incident_changed and not just_created:
        incident_type = incident.get('type') or data.get('type') or settings.incident_type
        fields = incident_body(changed_remote_fields(data, delta, settings, incident_type))
        if fields:
            write_with_version(client, remote_id,
                               lambda version: client.save(dict(fields, id=remote_id, version=version)),
                               'update')

    if entries:
        investigation_id = remembered(remote_id).get('investigationId')
        if not investigation_id:
            remember_remote(client.load(remote_id))
            investigation_id = remembered(remote_id).get('investigationId') or remote_id
        # A push that fails half way (a rate limit) is retried with the same entries: those it
        # sent already are remembered and not sent twice.
        sent = pushed_entries(remote_id)
        for entry in entries:
            entry_id = str(entry.get('id') or '')
            if entry_id and entry_id in sent:
                continue
            push_entry(client, investigation_id, entry, settings)
            if entry_id:
                sent.add(entry_id)
                set_pushed_entries(remote_id, sent)

    if status == IncidentStatus.DONE and settings.close_out and not known_closed(remote_id):
        # Closed on the remote as far as we saw? Look again before taking that for granted.
        if remembered(remote_id).get('status') == REMOTE_DONE:
            remember_remote(client.load(remote_id))
        if remembered(remote_id).get('status') != REMOTE_DONE:
            reason = str(delta.get('closeReason') or data.get('closeReason') or 'Closed in Cortex XSOAR')
            notes = str(delta.get('closeNotes') or data.get('closeNotes') or '')
            write_with_version(client, remote_id,
                               lambda version: client.close(remote_id, version, reason, notes),
                               'close')
        set_known_closed(remote_id, True)
    elif status == IncidentStatus.ACTIVE and incident_changed and known_closed(remote_id):
        write_with_version(client, remote_id,
                           lambda version: client.reopen(remote_id, version), 'reopen')
        set_known_closed(remote_id, False)
    if entries and pushed_entries(remote_id):
        set_pushed_entries(remote_id, None)
    if local_id and local_id in (_context().get(CTX_CREATED) or {}):
        # This push went through: the server records the remote id it returns.
        context = _context()
        created = dict(context.get(CTX_CREATED) or {})
        created.pop(local_id, None)
        if created:
            context[CTX_CREATED] = created
        else:
            context.pop(CTX_CREATED, None)
        demisto.setIntegrationContext(context)
    return remote_id


# --- get-mapping-fields -------------------------------------------------------------------------

def get_mapping_fields_command(client):
    """Per remote incident type: the top-level fields and the incident fields (group 0) the
    type uses."""
    fields = [field for field in client.incident_fields() if int(field.get('group') or 0) == 0]
    response = GetMappingFieldsResponse()
    for incident_type in client.incident_types():
        if incident_type.get('disabled'):
            continue
        name = incident_type.get('name') or incident_type.get('id')
        names = {name, incident_type.get('id')}
        scheme = SchemeTypeMapping(type_name=name)
        for field_name, description in TOP_LEVEL_FIELDS.items():
            scheme.add_field(field_name, description)
        for field in fields:
            associated = field.get('associatedToAll') or \
                any(t in names for t in field.get('associatedTypes') or [])
            cli_name = field.get('cliName')
            if associated and cli_name and cli_name not in scheme.fields:
                description = field.get('description') or field.get('name') or cli_name
                scheme.add_field(cli_name, f'{description} ({field.get("type") or "shortText"})')
        response.add_scheme_type(scheme)
    return response


# --- entry point --------------------------------------------------------------------------------

def note_failed_sync(command, args):
    """After a failed get-remote-data: remember the incident for the next get-modified-remote-data."""
    if command != 'get-remote-data' or not args.get('id'):
        return
    try:
        set_sync_failed(args.get('id'), True)
    except Exception as error:  # the bookkeeping must not hide the failure itself
        demisto.error(f'Cannot record the failed sync of {args.get("id")}: {error}')


def main():
    params = demisto.params()
    args = demisto.args()
    command = demisto.command()
    demisto.debug(f'Command being called is {command}')

    try:
        settings = Settings(params)
        client = Client(settings)
        if command == 'test-module':
            return_results(test_module(client, settings))
        elif command == 'fetch-incidents':
            incidents, next_run = fetch_incidents(client, settings, demisto.getLastRun() or {})
            demisto.incidents(incidents)
            demisto.setLastRun(next_run)
        elif command == 'get-modified-remote-data':
            return_results(get_modified_remote_data_command(client, args))
        elif command == 'get-remote-data':
            return_results(get_remote_data_command(client, args, settings))
        elif command == 'update-remote-system':
            return_results(update_remote_system_command(client, args, settings))
        elif command == 'get-mapping-fields':
            return_results(get_mapping_fields_command(client))
        else:
            raise NotImplementedError(f'Command {command} is not implemented.')
    except RateLimitError as error:
        note_failed_sync(command, args)
        return_error(f'API rate limit exceeded in {command}: {error}. '
                     'The update is retried in the next run.', error=traceback.format_exc())
    except AuthError as error:
        note_failed_sync(command, args)
        return_error(f'{error}', error=traceback.format_exc())
    except Exception as error:
        note_failed_sync(command, args)
        return_error(f'Failed to execute {command} command. Error: {error}',
                     error=traceback.format_exc())


if __name__ in ('__main__', '__builtin__', 'builtins'):
    main()
