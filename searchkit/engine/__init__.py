"""The layer between searchkit and Whoosh: how index files are read and written safely.

Modules here may import Whoosh; the rest of searchkit should, over time, only
use Whoosh through them.
"""
