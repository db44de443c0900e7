"""Okta IAM: provision, read, update and deactivate Okta users for XSOAR IAM workflows.

The integration implements the IAM management commands (iam-create-user, iam-get-user,
iam-update-user, iam-disable-user) on top of the Okta Users API. The generic command logic
(lookup, create-or-update, allow-enable, skipping) lives in IAMApiModule's IAMCommand; this module
only provides the Okta-specific Client and error handling.

Users are looked up by the `email` attribute of the outgoing-mapped profile
(`profile.email eq "<email>"`) and count as found only when exactly one Okta user matches.
"""

import traceback

import demistomock as demisto
from CommonServerPython import *  # noqa: F401
from CommonServerUserPython import *  # noqa: F401
from IAMApiModule import *  # noqa: F401

API_PATH = '/api/v1/'

# The incident type whose fields get-mapping-fields describes.
USER_PROFILE_TYPE = 'User Profile'

# Okta statuses in which a user cannot sign in. Every other status
# (STAGED, PROVISIONED, ACTIVE, RECOVERY, LOCKED_OUT, PASSWORD_EXPIRED) counts as active.
INACTIVE_STATUSES = ('DEPROVISIONED', 'SUSPENDED')

# Okta error codes that mean "nothing to do" rather than "failed":
# E0000016 - activation failed because the user is already active;
# E0000007 - resource not found (e.g. updating a deactivated user).
ERROR_CODES_TO_SKIP = ['E0000016', 'E0000007']

# Okta error codes that must surface as an error entry (Type 4) rather than a quiet failure:
# E0000047 - API rate limit exceeded.
ERROR_CODES_TO_RETURN_ERROR = ['E0000047']


class Client(BaseClient):
    """Okta Users API client.

    Every method that returns a user returns an IAMUserAppData whose app data is the user's Okta
    `profile` object, which is what the incoming mapper reads.
    """

    def __init__(self, base_url, api_token, verify=True, proxy=False):
        headers = {
            'Authorization': f'SSWS {api_token}',
            'Accept': 'application/json',
            'Content-Type': 'application/json',
        }
        super().__init__(base_url=base_url, verify=verify, proxy=proxy, headers=headers)

    def test(self):
        """Reads the token owner's user, which any valid API token may do."""
        return self._http_request(method='GET', url_suffix='users/me')

    def get_user(self, filter_name, filter_value):
        """Finds the one Okta user whose attribute `filter_name` equals `filter_value`.

        :param filter_name: An IAM attribute of the outgoing-mapped profile, e.g. 'email'.
        :param filter_value: The value to look for.
        :return: IAMUserAppData, or None when no user or more than one user matches.
        """
        attribute = 'id' if filter_name == 'id' else f'profile.{filter_name}'
        users = self._http_request(
            method='GET',
            url_suffix='users',
            params={'filter': f'{attribute} eq "{filter_value}"'},
        )
        if isinstance(users, list) and len(users) == 1:
            return self._to_app_data(users[0])
        return None

    def create_user(self, profile):
        """Creates a user in the STAGED state, then activates it without an activation email."""
        user = self._http_request(
            method='POST',
            url_suffix='users',
            params={'activate': 'false', 'provider': 'true'},
            json_data={'profile': remove_empty_values(profile)},
        )
        self._lifecycle(user['id'], 'activate', params={'sendEmail': 'false'})
        return self._fetch(user['id'])

    def update_user(self, user_id, profile):
        """Partially updates the profile: attributes absent from `profile` keep their value."""
        user = self._http_request(
            method='POST',
            url_suffix=f'users/{user_id}',
            json_data={'profile': remove_empty_values(profile)},
        )
        return self._to_app_data(user)

    def enable_user(self, user_id):
        """Activates a deactivated (or not yet activated) user, and unsuspends a suspended one
        (Okta does not activate a suspended user)."""
        user = self._http_request(method='GET', url_suffix=f'users/{user_id}')
        self._lifecycle(user_id, 'unsuspend' if user.get('status') == 'SUSPENDED' else 'activate')
        return self._fetch(user_id)

    def disable_user(self, user_id):
        """Deactivates the user (status DEPROVISIONED)."""
        self._lifecycle(user_id, 'deactivate')
        return self._fetch(user_id)

    def get_app_fields(self):
        """Returns {attribute: title} for the base and custom attributes of the user schema."""
        schema = self._http_request(method='GET', url_suffix='meta/schemas/user/default')
        definitions = schema.get('definitions', {})
        fields = {}
        for section in ('base', 'custom'):
            for name, attribute in definitions.get(section, {}).get('properties', {}).items():
                fields[name] = attribute.get('title', '')
        return fields

    def handle_exception(self, user_profile, e, action):
        """Records the outcome of a failed IAM action on the user profile.

        Okta errors listed in ERROR_CODES_TO_SKIP become skips, those in
        ERROR_CODES_TO_RETURN_ERROR become error entries, any other error a failure.
        """
        error_code, error_message = get_error_details(e)
        if error_code in ERROR_CODES_TO_SKIP:
            user_profile.set_result(action=action, skip=True, skip_reason=error_message)
            return
        user_profile.set_result(
            action=action,
            success=False,
            return_error=error_code in ERROR_CODES_TO_RETURN_ERROR,
            error_code=error_code,
            error_message=error_message,
        )
        demisto.error(traceback.format_exc())

    def _lifecycle(self, user_id, operation, params=None):
        return self._http_request(
            method='POST', url_suffix=f'users/{user_id}/lifecycle/{operation}', params=params
        )

    def _fetch(self, user_id):
        return self._to_app_data(self._http_request(method='GET', url_suffix=f'users/{user_id}'))

    @staticmethod
    def _to_app_data(user):
        profile = user.get('profile', {})
        return IAMUserAppData(
            user_id=user.get('id'),
            username=profile.get('login'),
            is_active=user.get('status') not in INACTIVE_STATUSES,
            app_data=profile,
            email=profile.get('email'),
        )


def remove_empty_values(profile):
    """Drops attributes the mapped profile leaves empty, so an update never blanks them in Okta."""
    return {name: value for name, value in profile.items() if value not in (None, '')}


def get_error_details(e):
    """Extracts (errorCode, errorMessage) from an exception raised by Client._http_request.

    An Okta error body gives its errorCode and its errorSummary followed by the error causes;
    a response without one gives the HTTP status; an error without a response (network failure,
    bug) gives the exception's type name.
    """
    res = getattr(e, 'res', None)
    if res is None:
        return type(e).__name__, str(e)
    try:
        body = res.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get('errorCode'):
        causes = '; '.join(cause.get('errorSummary', '') for cause in body.get('errorCauses') or [])
        summary = body.get('errorSummary', '')
        return body['errorCode'], f'{summary} ({causes})' if causes else summary
    return res.status_code, res.text.strip() or str(e).strip()


def test_module(client):
    """Checks the URL and API token. A rejected token becomes a readable error."""
    try:
        client.test()
    except DemistoException as e:
        error_code, error_message = get_error_details(e)
        if error_code in ('E0000004', 'E0000011', 401):
            raise DemistoException(
                f'Authorization failed: check the API token ({error_code}: {error_message}).'
            ) from e
        raise
    return 'ok'


def get_mapping_fields(client):
    """Describes the Okta user profile attributes for the outgoing mapper editor."""
    scheme = SchemeTypeMapping(type_name=USER_PROFILE_TYPE)
    for name, title in client.get_app_fields().items():
        scheme.add_field(name, title)
    return GetMappingFieldsResponse([scheme])


def main():
    params = demisto.params()
    args = demisto.args()
    command = demisto.command()
    demisto.debug(f'Command being called is {command}')

    base_url = params.get('url', '').rstrip('/') + API_PATH
    api_token = (params.get('credentials') or {}).get('password')
    iam_command = IAMCommand(
        is_create_enabled=argToBoolean(params.get('create_user_enabled', True)),
        is_enable_enabled=argToBoolean(params.get('enable_user_enabled', True)),
        is_disable_enabled=argToBoolean(params.get('disable_user_enabled', True)),
        is_update_enabled=argToBoolean(params.get('update_user_enabled', True)),
        create_if_not_exists=argToBoolean(params.get('create_if_not_exists', False)),
        mapper_in=params.get('mapper-in'),
        mapper_out=params.get('mapper-out'),
        get_user_iam_attrs=['email'],
    )
    client = Client(
        base_url=base_url,
        api_token=api_token,
        verify=not argToBoolean(params.get('insecure', False)),
        proxy=argToBoolean(params.get('proxy', False)),
    )

    iam_handlers = {
        'iam-create-user': iam_command.create_user,
        'iam-get-user': iam_command.get_user,
        'iam-update-user': iam_command.update_user,
        'iam-disable-user': iam_command.disable_user,
    }

    if command in iam_handlers:
        # IAMCommand is the error boundary of the management commands: it hands every error to
        # Client.handle_exception, which records it on the returned user profile. Wrapping them
        # in return_error as well would hide a broken contract behind a generic error entry.
        return_results(iam_handlers[command](client, args))
        return

    try:
        if command == 'test-module':
            return_results(test_module(client))
        elif command == 'get-mapping-fields':
            return_results(get_mapping_fields(client))
        else:
            raise NotImplementedError(f'Command {command} is not implemented.')
    except Exception as e:
        return_error(
            f'Failed to execute {command} command. Error: {e}', error=traceback.format_exc()
        )


if __name__ in ('__main__', '__builtin__', 'builtins'):
    main()
