"""Broken OktaIAM: imports a vendor SDK that nothing can provide.

Defect: the code needs `_okta_private_sdk`, a module that is neither beside the integration
nor in any image, and that no PyPI package can even be named (a name must not start with an
underscore); every command fails at import time. Must trip rule runtime.missing-module, naming
the module and saying why no environment can have it.
"""

import _okta_private_sdk  # noqa: F401

import OktaIAM

if __name__ in ('__main__', '__builtin__', 'builtins'):
    OktaIAM.main()
