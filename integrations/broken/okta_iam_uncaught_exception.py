"""Broken OktaIAM: a vendor error escapes the IAM command instead of becoming an IAM result.

Defect: handle_exception re-raises the error instead of recording it, so the management command
ends in an uncaught exception with no IAM.Vendor record. Must trip rule iam.no-uncaught-exception.
"""

import OktaIAM


class Client(OktaIAM.Client):
    def handle_exception(self, user_profile, e, action):
        raise e


OktaIAM.Client = Client

if __name__ in ('__main__', '__builtin__', 'builtins'):
    OktaIAM.main()
