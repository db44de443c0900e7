"""Broken OktaIAM: an Okta error listed as a skip is reported skipped without a reason.

Defect: handle_exception records skips without the Okta error message as skip_reason. Must trip
rule iam.skip-has-reason.
"""

import OktaIAM
from OktaIAM import ERROR_CODES_TO_SKIP, get_error_details


class Client(OktaIAM.Client):
    def handle_exception(self, user_profile, e, action):
        error_code, _ = get_error_details(e)
        if error_code in ERROR_CODES_TO_SKIP:
            user_profile.set_result(action=action, skip=True)
        else:
            super().handle_exception(user_profile, e, action)


OktaIAM.Client = Client

if __name__ in ('__main__', '__builtin__', 'builtins'):
    OktaIAM.main()
