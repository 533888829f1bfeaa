"""The admin: staff write the policy, publish it and declare cookies; published versions and
consent records can only be read.

One module per part of the admin; importing this package registers them all.
"""

from cookieconsent.admin import cookies, policy, records, versions

__all__ = ["cookies", "policy", "records", "versions"]
