"""Broken OktaIAM: a failed IAM action reports success false without an errorCode.

Defect: handle_exception records plain failures (neither skips nor rate limits) with the
error message only, dropping the Okta error code. Must trip rule iam.failure-has-error.
"""

import OktaIAM
from OktaIAM import ERROR_CODES_TO_RETURN_ERROR, ERROR_CODES_TO_SKIP, get_error_details


class Client(OktaIAM.Client):
    def handle_exception(self, user_profile, e, action):
        error_code, error_message = get_error_details(e)
        if error_code in ERROR_CODES_TO_SKIP + ERROR_CODES_TO_RETURN_ERROR:
            super().handle_exception(user_profile, e, action)
        else:
            user_profile.set_result(action=action, success=False, error_message=error_message)


OktaIAM.Client = Client

if __name__ in ('__main__', '__builtin__', 'builtins'):
    OktaIAM.main()
