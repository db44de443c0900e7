"""Broken OktaIAM: the process dies in the middle of iam-create-user.

Defect: after Okta created the (still staged) user, the process exits with status 3 before
activating it or reporting anything. Must trip rule runtime.crash.
"""

import os

import OktaIAM


class Client(OktaIAM.Client):
    def _lifecycle(self, user_id, operation, params=None):
        os._exit(3)


OktaIAM.Client = Client

if __name__ in ('__main__', '__builtin__', 'builtins'):
    OktaIAM.main()
