"""The tenant's own additions to CommonServerPython, which the XSOAR server always provides.

Empty unless an administrator edits it; the harness puts this empty one last on every module
search path, so that a content checkout's own CommonServerUserPython wins when it has one.
"""
