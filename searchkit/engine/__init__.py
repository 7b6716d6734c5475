"""The layer between searchkit and Whoosh, one job per module: how index files are read
and written safely, and the query shapes searchkit builds from Whoosh's parts.

Modules here may import Whoosh; the rest of searchkit should, over time, only
use Whoosh through them.
"""
