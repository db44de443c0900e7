"""Broken OktaIAM: iam-get-user puts an unbounded audit trail into its result.

Defect: the user's app data carries an audit trail the client grows on every lookup and never
trims, so a single iam-get-user returns megabytes. With the scenario's `limits.output: 1MiB`,
must trip rule runtime.limit.
"""

import OktaIAM


class Client(OktaIAM.Client):
    def get_user(self, filter_name, filter_value):
        found = super().get_user(filter_name, filter_value)
        if found is not None:
            found.full_data = dict(found.full_data, audit=['looked up by ' + filter_value] * 200_000)
        return found


OktaIAM.Client = Client

if __name__ in ('__main__', '__builtin__', 'builtins'):
    OktaIAM.main()
