"""Broken OktaIAM: the IAM.Vendor record says active "yes" instead of a boolean.

Defect: users read from Okta carry is_active as the strings "yes"/"no". Must trip rule
iam.vendor-record-shape.
"""

import OktaIAM
from IAMApiModule import IAMUserAppData
from OktaIAM import Client as ReferenceClient


class Client(ReferenceClient):
    @staticmethod
    def _to_app_data(user):
        app_data = ReferenceClient._to_app_data(user)
        return IAMUserAppData(
            user_id=app_data.id,
            username=app_data.username,
            is_active='yes' if app_data.is_active else 'no',
            app_data=app_data.full_data,
            email=app_data.email,
        )


OktaIAM.Client = Client

if __name__ in ('__main__', '__builtin__', 'builtins'):
    OktaIAM.main()
