"""The harness's built-in implementation of the documented IAMApiModule classes.

IAM integrations use it through ``from IAMApiModule import *``. IAMCommand implements the
iam-get-user / iam-create-user / iam-update-user / iam-disable-user logic on top of a client
that provides get_user, create_user, update_user, enable_user, disable_user and
handle_exception; IAMUserProfile carries the profile, its mapped form and the result entry.
"""

import inspect

# The star import re-exports the CommonServerPython surface to `from IAMApiModule import *`, as the
# product's module does; the names used here are imported explicitly.
from CommonServerPython import *  # noqa: F401,F403
from CommonServerPython import (DemistoException, EntryFormat, EntryType, demisto, return_results,
                                safe_load_json, tableToMarkdown)


class IAMErrors:
    """(code, message) pairs for errors the vendor does not report itself."""
    BAD_REQUEST = 400, 'Bad request - failed to perform operation'
    USER_DOES_NOT_EXIST = 404, 'User does not exist'
    USER_ALREADY_EXISTS = 409, 'User already exists'


class IAMActions:
    """The IAM actions, as they appear in IAM.Vendor.action."""
    GET_USER = 'get'
    UPDATE_USER = 'update'
    CREATE_USER = 'create'
    DISABLE_USER = 'disable'
    ENABLE_USER = 'enable'


class IAMVendorActionResult:
    """The outcome of one action on the vendor, with the brand and instance of the calling context."""

    def __init__(self, success=True, active=None, iden=None, username=None, email=None, error_code=None,
                 error_message=None, details=None, skip=False, skip_reason=None, action=None,
                 return_error=False):
        calling_context = demisto.callingContext.get('context', {})
        self._brand = calling_context.get('IntegrationBrand')
        self._instance_name = calling_context.get('IntegrationInstance')
        self._success = success
        self._active = active
        self._iden = iden
        self._username = username
        self._email = email
        self._error_code = error_code
        self._error_message = error_message
        self._details = details
        self._skip = skip
        self._skip_reason = skip_reason
        self._action = action
        self._return_error = return_error

    def should_return_error(self):
        """Whether the entry must be an error entry (Type 4)."""
        return self._return_error

    def create_outputs(self):
        """The IAM.Vendor record."""
        return {
            'brand': self._brand,
            'instanceName': self._instance_name,
            'action': self._action,
            'success': self._success,
            'active': self._active,
            'id': self._iden,
            'username': self._username,
            'email': self._email,
            'errorCode': self._error_code,
            'errorMessage': self._error_message,
            'details': self._details,
            'skipped': self._skip,
            'reason': self._skip_reason,
        }

    def create_readable_outputs(self, outputs):
        """The markdown table titled '<Action> User Results (<brand>)'."""
        title = '{} User Results ({})'.format(str(self._action).title(), self._brand)
        if self._skip:
            headers = ['brand', 'instanceName', 'skipped', 'reason']
        else:
            headers = ['brand', 'instanceName', 'success', 'active', 'id', 'username', 'email',
                       'errorCode', 'errorMessage', 'details']
        return tableToMarkdown(name=title, t=outputs, headers=headers, removeNull=True)


class IAMUserProfile:
    """A user profile (the user-profile argument), its form mapped for the vendor, and the results.

    With a mapper, the profile is mapped right away through the outgoing mapper (the server's
    mapObject), also mapping its 'olduserdata' when present.
    """

    INDICATOR_TYPE = 'User Profile'
    DEFAULT_INCIDENT_TYPE = 'User Profile'
    CREATE_INCIDENT_TYPE = 'User Profile - Create'
    UPDATE_INCIDENT_TYPE = 'User Profile - Update'
    DISABLE_INCIDENT_TYPE = 'User Profile - Disable'

    def __init__(self, user_profile, mapper, incident_type, user_profile_delta=None):
        self._user_profile = safe_load_json(user_profile)
        self.mapped_user_profile = None
        if mapper:
            self.mapped_user_profile = self.map_object(mapper, incident_type, map_old_data=True)
        else:
            self.mapped_user_profile = self._user_profile
        self._user_profile_delta = safe_load_json(user_profile_delta) if user_profile_delta else {}
        self._vendor_action_results = []

    def get_attribute(self, item, use_old_user_data=False, user_profile_data=None):
        """A profile attribute; with use_old_user_data, 'olduserdata' wins when it has the attribute."""
        profile = user_profile_data if user_profile_data else self._user_profile
        old_data = profile.get('olduserdata') or {}
        if use_old_user_data and old_data.get(item):
            return old_data.get(item)
        return profile.get(item)

    def get_first_available_iam_user_attr(self, iam_attrs, use_old_user_data=False):
        """(attribute, value) of the first of iam_attrs the mapped profile has a value for.

        'id' is read from the unmapped profile (outgoing mappers do not carry it); 'emails' in SCIM
        form gives the primary address (or the first one). DemistoException when none is set.
        """
        for iam_attr in iam_attrs:
            if iam_attr == 'id':
                value = self.get_attribute(iam_attr, use_old_user_data)
                if value:
                    return iam_attr, value
            value = self.get_attribute(iam_attr, use_old_user_data, self.mapped_user_profile)
            if not value:
                continue
            if iam_attr == 'emails' and not isinstance(value, str):
                if isinstance(value, dict):
                    value = value.get('value')
                elif isinstance(value, list):
                    primary = [email.get('value') for email in value if email.get('primary', False)]
                    value = primary[0] if primary else value[0].get('value', '')
            return iam_attr, value
        raise DemistoException('Your user profile argument must contain at least one attribute that is mapped '
                               'into one of the following attributes in the outgoing mapper: {}'.format(iam_attrs))

    def to_entry(self):
        """The command's entry, built from the first result:

        Contents and IAM.Vendor(...) are the result's outputs, IAM.UserProfile(...) the profile;
        Type 4 when the result asks for an error entry, else 1.
        """
        if self._vendor_action_results:
            result = self._vendor_action_results[0]
            outputs = result.create_outputs()
            readable_output = result.create_readable_outputs(outputs)
            return_error_entry = result.should_return_error()
        else:
            outputs, readable_output, return_error_entry = {}, 'No result were found.', False
        entry_context = {
            'IAM.UserProfile(val.email && val.email == obj.email)': self._user_profile,
            'IAM.Vendor(val.instanceName && val.instanceName == obj.instanceName'
            ' && val.email && val.email == obj.email)': outputs,
        }
        return {
            'ContentsFormat': EntryFormat.JSON,
            'Contents': outputs,
            'EntryContext': entry_context,
            'Type': EntryType.ERROR if return_error_entry else EntryType.NOTE,
            'HumanReadable': readable_output,
        }

    def return_outputs(self):
        """Sends the entry of this profile."""
        return_results(self.to_entry())

    def set_result(self, success=True, active=None, iden=None, username=None, email=None, error_code=None,
                   error_message=None, details=None, skip=False, skip_reason=None, action=None,
                   return_error=False):
        """Records the outcome of an action; email and details default to the profile's."""
        if not email:
            email = self.get_attribute('email')
        if not details:
            details = self.mapped_user_profile
        self._vendor_action_results.append(IAMVendorActionResult(
            success=success,
            active=active,
            iden=iden,
            username=username,
            email=email,
            error_code=error_code,
            error_message=error_message or '',
            details=details,
            skip=skip,
            skip_reason=skip_reason or '',
            action=action,
            return_error=return_error,
        ))

    def set_user_is_already_disabled(self, details):
        """Records a disable skipped because the user is already inactive."""
        self.set_result(action=IAMActions.DISABLE_USER, skip=True, skip_reason='User is already disabled.',
                        details=details)

    def map_object(self, mapper_name, incident_type, map_old_data=False):
        """The profile in the vendor's format, through the outgoing mapper (mapped once, then reused)."""
        if self.mapped_user_profile:
            if map_old_data:
                return self.mapped_user_profile
            return {key: value for key, value in self.mapped_user_profile.items() if key != 'olduserdata'}
        if incident_type not in (IAMUserProfile.CREATE_INCIDENT_TYPE, IAMUserProfile.UPDATE_INCIDENT_TYPE,
                                 IAMUserProfile.DISABLE_INCIDENT_TYPE):
            raise DemistoException('You must provide a valid incident type to the map_object function.')
        if not self._user_profile:
            raise DemistoException('You must provide the user profile data.')
        app_data = demisto.mapObject(self._user_profile, mapper_name, incident_type)
        if map_old_data and 'olduserdata' in self._user_profile:
            app_data['olduserdata'] = demisto.mapObject(self._user_profile.get('olduserdata', {}), mapper_name,
                                                        incident_type)
        return app_data

    def update_with_app_data(self, app_data, mapper_in, incident_type=None):
        """Replaces the profile with the vendor's data mapped through the incoming mapper."""
        if not isinstance(app_data, dict):
            app_data = safe_load_json(app_data)
        self._user_profile = demisto.mapObject(app_data, mapper_in,
                                               incident_type or IAMUserProfile.DEFAULT_INCIDENT_TYPE)


class IAMUserAppData:
    """A user as the vendor holds it: id, username, active flag, full data and email."""

    def __init__(self, user_id, username, is_active, app_data, email=None):
        self.id = user_id
        self.username = username
        self.is_active = is_active
        self.full_data = app_data
        self.email = email


def _is_true(value):
    """Command arguments arrive as 'true'/'false' strings, sometimes as bools."""
    return value is True or (isinstance(value, str) and value.strip().lower() == 'true')


def _get_app_user(client, iam_attr, iam_attr_value):
    """client.get_user(attribute, value); a get_user(value) with one parameter gets only the value.

    The one-parameter form is the older client API (e.g. the demisto-sdk HelloIAMWorld template).
    """
    try:
        parameters = inspect.signature(client.get_user).parameters.values()
    except (TypeError, ValueError):  # no introspectable signature: use the current API
        return client.get_user(iam_attr, iam_attr_value)
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    takes_varargs = any(p.kind == p.VAR_POSITIONAL for p in parameters)
    if len(positional) == 1 and not takes_varargs:
        return client.get_user(iam_attr_value)
    return client.get_user(iam_attr, iam_attr_value)


class IAMCommand:
    """The IAM management commands, driven by the instance's settings and mappers."""

    def __init__(self, is_create_enabled=True, is_enable_enabled=True, is_disable_enabled=True,
                 is_update_enabled=True, create_if_not_exists=True, mapper_in=None, mapper_out=None,
                 get_user_iam_attrs=None):
        self.is_create_enabled = is_create_enabled
        self.is_enable_enabled = is_enable_enabled
        self.is_disable_enabled = is_disable_enabled
        self.is_update_enabled = is_update_enabled
        self.create_if_not_exists = create_if_not_exists
        self.mapper_in = mapper_in
        self.mapper_out = mapper_out
        self.get_user_iam_attrs = ['email'] if get_user_iam_attrs is None else get_user_iam_attrs

    def _profile(self, args, incident_type):
        return IAMUserProfile(user_profile=args.get('user-profile'), mapper=self.mapper_out,
                              incident_type=incident_type)

    def get_user(self, client, args):
        """iam-get-user: the vendor's user mapped back into the profile, or a 404 result."""
        user_profile = self._profile(args, IAMUserProfile.UPDATE_INCIDENT_TYPE)
        try:
            iam_attr, value = user_profile.get_first_available_iam_user_attr(self.get_user_iam_attrs)
            user_app_data = _get_app_user(client, iam_attr, value)
            if not user_app_data:
                error_code, error_message = IAMErrors.USER_DOES_NOT_EXIST
                user_profile.set_result(action=IAMActions.GET_USER, success=False, error_code=error_code,
                                        error_message=error_message)
            else:
                user_profile.update_with_app_data(user_app_data.full_data, self.mapper_in)
                user_profile.set_result(
                    action=IAMActions.GET_USER,
                    active=user_app_data.is_active,
                    iden=user_app_data.id,
                    email=user_profile.get_attribute('email') or user_app_data.email,
                    username=user_app_data.username,
                    details=user_app_data.full_data,
                )
        except Exception as error:  # the client decides how every failure is reported
            client.handle_exception(user_profile, error, IAMActions.GET_USER)
        return user_profile

    def disable_user(self, client, args):
        """iam-disable-user: disables an active user; skips when disabled, missing or already inactive."""
        user_profile = self._profile(args, IAMUserProfile.UPDATE_INCIDENT_TYPE)
        if not self.is_disable_enabled:
            user_profile.set_result(action=IAMActions.DISABLE_USER, skip=True, skip_reason='Command is disabled.')
            return user_profile
        try:
            iam_attr, value = user_profile.get_first_available_iam_user_attr(self.get_user_iam_attrs)
            user_app_data = _get_app_user(client, iam_attr, value)
            if not user_app_data:
                _, error_message = IAMErrors.USER_DOES_NOT_EXIST
                user_profile.set_result(action=IAMActions.DISABLE_USER, skip=True, skip_reason=error_message)
            elif not user_app_data.is_active:
                user_profile.set_user_is_already_disabled(user_app_data.full_data)
            else:
                disabled_user = client.disable_user(user_app_data.id)
                user_profile.set_result(
                    action=IAMActions.DISABLE_USER,
                    active=False,
                    iden=disabled_user.id,
                    email=user_profile.get_attribute('email') or user_app_data.email,
                    username=disabled_user.username,
                    details=disabled_user.full_data,
                )
        except Exception as error:  # the client decides how every failure is reported
            client.handle_exception(user_profile, error, IAMActions.DISABLE_USER)
        return user_profile

    def create_user(self, client, args):
        """iam-create-user: creates the user, or runs the update flow when it already exists."""
        user_profile = self._profile(args, IAMUserProfile.CREATE_INCIDENT_TYPE)
        if not self.is_create_enabled:
            user_profile.set_result(action=IAMActions.CREATE_USER, skip=True, skip_reason='Command is disabled.')
            return user_profile
        try:
            iam_attr, value = user_profile.get_first_available_iam_user_attr(self.get_user_iam_attrs)
            if _get_app_user(client, iam_attr, value):
                return self.update_user(client, args)
            app_profile = user_profile.map_object(self.mapper_out, IAMUserProfile.CREATE_INCIDENT_TYPE)
            created_user = client.create_user(app_profile)
            user_profile.set_result(
                action=IAMActions.CREATE_USER,
                active=created_user.is_active,
                iden=created_user.id,
                email=user_profile.get_attribute('email') or created_user.email,
                username=created_user.username,
                details=created_user.full_data,
            )
        except Exception as error:  # the client decides how every failure is reported
            client.handle_exception(user_profile, error, IAMActions.CREATE_USER)
        return user_profile

    def update_user(self, client, args):
        """iam-update-user: updates an existing user, first enabling an inactive one when allow-enable
        is true and enabling is allowed; a missing user is created (create_if_not_exists) or skipped.
        """
        user_profile = self._profile(args, IAMUserProfile.UPDATE_INCIDENT_TYPE)
        allow_enable = _is_true(args.get('allow-enable')) and self.is_enable_enabled
        if not self.is_update_enabled:
            user_profile.set_result(action=IAMActions.UPDATE_USER, skip=True, skip_reason='Command is disabled.')
            return user_profile
        try:
            iam_attr, value = user_profile.get_first_available_iam_user_attr(self.get_user_iam_attrs,
                                                                             use_old_user_data=True)
            user_app_data = _get_app_user(client, iam_attr, value)
            if not user_app_data:
                if self.create_if_not_exists:
                    return self.create_user(client, args)
                _, error_message = IAMErrors.USER_DOES_NOT_EXIST
                user_profile.set_result(action=IAMActions.UPDATE_USER, skip=True, skip_reason=error_message)
                return user_profile
            app_profile = user_profile.map_object(self.mapper_out, IAMUserProfile.UPDATE_INCIDENT_TYPE)
            if allow_enable and not user_app_data.is_active:
                client.enable_user(user_app_data.id)
            updated_user = client.update_user(user_app_data.id, app_profile)
            if updated_user.is_active is None:
                # The vendor's update answer may not tell; it is active if we just enabled it.
                updated_user.is_active = True if allow_enable else user_app_data.is_active
            user_profile.set_result(
                action=IAMActions.UPDATE_USER,
                active=updated_user.is_active,
                iden=updated_user.id,
                email=user_profile.get_attribute('email') or updated_user.email or user_app_data.email,
                username=updated_user.username,
                details=updated_user.full_data,
            )
        except Exception as error:  # the client decides how every failure is reported
            client.handle_exception(user_profile, error, IAMActions.UPDATE_USER)
        return user_profile


def get_first_primary_email_by_scim_schema(res):
    """The primary address of a SCIM user's 'emails' list, or None."""
    return next((email.get('value') for email in res.get('emails', []) if email.get('primary')), None)


#: The name the harness documentation uses for the same helper.
get_first_primary_email_by_scim = get_first_primary_email_by_scim_schema
