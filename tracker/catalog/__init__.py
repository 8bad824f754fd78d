"""The agents selfref knows: built-in profiles plus the user's `[[agents]]`."""

from selfref.catalog.profiles import Catalog, Incident, Persona, Profile, load_builtin

__all__ = ["Catalog", "Incident", "Persona", "Profile", "load_builtin"]
