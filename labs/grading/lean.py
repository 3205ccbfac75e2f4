"""pytest plugin (``-p labs.grading.lean``): skip an optional import that costs seconds per process.

jsonschema, under nbformat, builds an IRI grammar with ``rfc3987_syntax`` when that is installed:
seconds of start-up in every grading process, for a string format that notebooks never use.
jsonschema imports it inside ``suppress(ImportError)``, so blocking it only drops that format.
"""
import sys

sys.modules.setdefault("rfc3987_syntax", None)
