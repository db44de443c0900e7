"""Broken OktaIAM: iam-create-user starts a background process and returns without waiting.

Defect: after creating the user, the command starts an uploader process for an audit record
and never waits for it; the command has ended while the process still runs. Must trip rule
runtime.leftover-process.
"""

import subprocess
import sys

import OktaIAM


class Client(OktaIAM.Client):
    def create_user(self, user_data):
        created = super().create_user(user_data)
        subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])
        return created


OktaIAM.Client = Client

if __name__ in ('__main__', '__builtin__', 'builtins'):
    OktaIAM.main()
