"""The admin: staff write the policy and declare cookies; consent records can only be read.

One module per part of the admin; importing this package registers them all.
"""

from cookieconsent.admin import console, cookies, policy, records, regions

__all__ = ["console", "cookies", "policy", "records", "regions"]
