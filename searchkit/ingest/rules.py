"""The cleaning rules, as ordered data: what counts as boilerplate, and why.

Every rule is a compiled pattern plus a one-line reason, so a reviewer can see
at a glance why a piece of a page disappears, and a new rule is one line in the
right table rather than a new branch in the code. Tables are tried in order
and the first match wins. Patterns are matched case-insensitively.

Tables and what they are matched against:

* ``TAG_RULES``: an element's tag name; a match marks the element and its content
  as page furniture (``furniture.py``), left out of the article.
* ``ROLE_RULES``: an element's ``role`` attribute (same effect).
* ``STYLE_RULES``: an element's inline ``style`` attribute (same effect).
* ``ATTRIBUTE_RULES``: an element's class names and id, joined by spaces (same effect,
  unless the element holds the headline or is the article itself, see ``container.py``).
* ``WRAPPER_PRONE_RULES``: as ``ATTRIBUTE_RULES``, for tokens that also name page
  wrappers; their mark is ignored on an element holding most of the page's prose.
* ``LINE_RULES``: the whole text of one block or line; a match drops that block.
* ``SECTION_END_RULES``: the whole text of a short block; a match drops it and
  everything after it (trailing "Related stories" lists, comment threads).
* ``NOT_AUTHOR_RULES``: a candidate author name; a match means it is not a person.
* ``NOT_OUTLET_RULES``: a declared outlet name; a match means it names no outlet.
* ``SITE_SEGMENT_RULES``: one segment of a page title (cut at ``TITLE_SEPARATORS``); a
  match at either end means site or section text, not the headline (``titles.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One cleaning rule: a compiled case-insensitive pattern and why it exists."""

    pattern: re.Pattern[str]
    reason: str


def rule(regex: str, reason: str) -> Rule:
    """Build a case-insensitive rule; tables read as plain (regex, reason) lines."""
    return Rule(re.compile(regex, re.IGNORECASE), reason)


def first_match(rules: tuple[Rule, ...], text: str) -> Rule | None:
    """Return the first rule whose pattern matches anywhere in ``text``, or None."""
    for candidate in rules:
        if candidate.pattern.search(text):
            return candidate
    return None


def _tokens(*words: str) -> str:
    """A regex matching any of ``words`` as a whole class/id token.

    Tokens are separated by spaces, hyphens, underscores or a camelCase change
    already lowered away, so "share" matches "post-share_bar" but "ad" does not
    match "header" or "shadow".
    """
    alternatives = "|".join(words)
    return rf"(?:^|[\s_-])(?:{alternatives})(?:$|[\s_-])"


TAG_RULES: tuple[Rule, ...] = (
    rule(r"^(script|style|noscript|template|link|meta)$", "code and styling, never prose"),
    rule(r"^(svg|canvas|img|picture|video|audio|source|iframe|embed|object)$", "media, no text"),
    rule(r"^(button|input|select|option|textarea|label|dialog|menu)$", "controls, not prose"),
    rule(r"^nav$", "site navigation"),
    rule(r"^aside$", "side content: teasers, pull-outs, ads"),
    rule(r"^footer$", "page or article footer: copyright, tags, share bars"),
    rule(r"^header$", "masthead or article header: title and byline are read as metadata"),
    rule(r"^(figure|figcaption)$", "images and their captions, not article prose"),
)

ROLE_RULES: tuple[Rule, ...] = (
    rule(r"^(navigation|menu|menubar|search|banner|contentinfo)$", "site chrome"),
    rule(r"^(complementary|dialog|alertdialog|alert|tooltip|toolbar)$", "side or pop-up content"),
)

STYLE_RULES: tuple[Rule, ...] = (
    rule(r"display\s*:\s*none|visibility\s*:\s*hidden", "hidden by its style, never shown"),
)

HIDDEN_RULE = rule(r"^hidden$", "hidden from readers (hidden or aria-hidden attribute)")
"""The mark of an element with a ``hidden`` or ``aria-hidden="true"`` attribute."""

ATTRIBUTE_RULES: tuple[Rule, ...] = (
    rule(
        _tokens(r"share\w*", "sharing", r"social\w*", "sharebar", "addthis", "sharethis"),
        "share links and social buttons",
    ),
    rule(
        _tokens(
            "related",
            r"related\w+",
            "more-stories",
            "morestories",
            "recommended",
            r"recommend\w*",
            "read-next",
            "readnext",
            "also-read",
            "outbrain",
            "taboola",
            "teaser",
            "teasers",
            "trending",
            "popular",
            "most-popular",
            "mostread",
            "most-read",
            "more-from",
            "promo",
            "promos",
            "upsell",
        ),
        "related-content and teaser blocks",
    ),
    rule(
        _tokens("newsletter", r"newsletter\w+", "subscribe", "subscription", "signup", "sign-up"),
        "newsletter and subscription boxes",
    ),
    rule(
        _tokens("cookie", "cookies", "consent", "gdpr", "cmp", "popup", "toast"),
        "cookie notices and pop-ups",
    ),
    rule(
        _tokens(
            "ad",
            "ads",
            "advert",
            r"advert\w+",
            "adslot",
            "ad-slot",
            "adunit",
            "ad-unit",
            "dfp",
            "gpt",
            "sponsor",
            "sponsored",
            "commercial",
        ),
        "advertising",
    ),
    rule(
        _tokens("comment", "comments", r"comment\w+", "disqus", "discussion", "respond", "replies"),
        "reader comments",
    ),
    rule(
        _tokens(
            "nav",
            "navbar",
            "navigation",
            "menu",
            "breadcrumb",
            "breadcrumbs",
            "masthead",
            "skip-link",
            "skiplink",
            "pagination",
            "pager",
        ),
        "navigation",
    ),
    rule(_tokens("footer", "site-footer", "copyright", "legal"), "footers"),
    rule(
        _tokens("tags", "tag-list", "taglist", "topics", "keywords", "categories"),
        "tag and topic link lists",
    ),
    rule(
        _tokens(
            "byline",
            "author-bio",
            "authorbio",
            "author-info",
            "bio",
            "contributor",
            "dateline",
            "timestamp",
            "published-date",
            "meta-data",
            "article-meta",
            "post-meta",
            "entry-meta",
        ),
        "byline and date widgets: read as metadata, not prose",
    ),
    rule(
        _tokens(
            "caption",
            "credit",
            "image-credit",
            "photo-credit",
            "figure",
            "gallery",
            "slideshow",
        ),
        "image captions, credits and galleries",
    ),
    rule(
        _tokens(
            "toolbar",
            "tools",
            "article-tools",
            "actions",
            "print",
            "email",
            "bookmark",
            "save",
            "font-size",
            "audio-player",
            "listen",
        ),
        "article tool bars",
    ),
)

WRAPPER_PRONE_RULES: tuple[Rule, ...] = (
    rule(_tokens("rail", "sidebar", "widget"), "side rails and widgets"),
    rule(
        _tokens("paywall", "regwall", "piano", "membership"),
        "paywall and membership prompts",
    ),
    rule(_tokens("banner", "modal", "overlay"), "banners and pop-up layers"),
    rule(_tokens("media", "video", "player", "embed"), "embedded media players"),
    rule(
        _tokens(
            r"(?<!label-)hidden(?!-(?:xs|sm|md|lg|xl|mobile|tablet|desktop|phone|small|large))",
            "visually-hidden",
            "sr-only",
            "screen-reader-text",
            "offscreen",
            "print-only",
            "noprint",
        ),
        "text not shown to sighted readers (responsive hidden-xs etc. are shown)",
    ),
)
"""Class/id tokens that mark furniture but also turn up on page wrappers ("has-sidebar",
"paywall" around the story, "video" on a video article): such a mark only counts on an
element holding a minor share of the page's prose (see ``container.py``)."""

LINE_RULES: tuple[Rule, ...] = (
    rule(r"^(advertisement|advertising|advert|sponsored( content)?|ad|paid content)$", "ad label"),
    rule(r"^(story continues below|article continues below)( advertisement)?\W*$", "ad label"),
    rule(r"^share( this)?( page| article| story| post| on \w+)?\s*:?$", "share bar label"),
    rule(
        r"^(like|liked|enjoy|enjoyed) this (story|article|post)\?.{0,60}$",
        "share prompt",
    ),
    rule(
        r"^(facebook|twitter|x|linkedin|whatsapp|reddit|pinterest|email|e-mail|print|copy "
        r"link|copy url)$",
        "share button label",
    ),
    rule(r"^(new update|update|updated|breaking|breaking news|live|exclusive)$", "UI badge"),
    rule(
        r"^(read more|read full (story|article)|continue reading|see more|show more|load "
        r"more|view more)\W*$",
        "teaser link label",
    ),
    rule(r"^skip to (main )?(content|navigation)$", "accessibility skip link"),
    rule(r"^(sign up|subscribe)\b.{0,120}$", "newsletter or subscription prompt"),
    rule(
        r"^.{0,80}\b(newsletter|subscribe now|subscribers only|already a subscriber)\b.{0,80}$",
        "newsletter or subscription prompt",
    ),
    rule(r"^(follow us|follow \w+ on|like us on|join us on)\b.{0,80}$", "social follow prompt"),
    rule(r"^(we use cookies|this (web)?site uses cookies)\b.*$", "cookie notice"),
    rule(r"^(©|\(c\)|copyright\b).{0,200}$", "copyright line"),
    rule(r"^all rights reserved\W*$", "copyright line"),
    rule(r"^(\d+\s*)?(min|mins|minute|minutes)\s+read$", "reading-time label"),
    rule(
        r"^(reading time|tempo de leitura|tiempo de lectura|temps de lecture|lesezeit)\W.{0,20}$",
        "reading-time label",
    ),
    rule(
        r"^(tell us what you think|have your say|to read the full (story|article)|"
        r"(read|continue reading) the (full|rest of the) (story|article))\W*$",
        "comment or paywall prompt",
    ),
    rule(r"^(don'?t miss|must read|editor'?s picks?)\W*$", "teaser label"),
    rule(r"^(listen to|hear) (this|the) (article|story)\b.{0,40}$", "audio player label"),
    rule(r"^(loading|please wait)\W*$", "loading placeholder"),
    rule(
        r"^(photo|image|picture|video|graphic|illustration)\s*(credit)?\s*:.{0,120}$",
        "media credit",
    ),
    rule(r"^(getty images|reuters|ap photo|afp|afp via getty images)$", "media credit"),
    rule(r"^(image|photo|picture|slide|video) \d+ (of|/) \d+$", "gallery counter"),
    rule(
        r"^\(?((additional )?(reporting|writing|editing|research) by|[\w .,'\u2019&-]{1,200} "
        r"contributed (reporting|to this (report|story|article)))\b.{0,300}$",
        "reporting credits, not article text",
    ),
    rule(
        r"^(follow|email|e-mail|write to|reach|contact) [\w .,'\u2019@-]{1,80}\b(at|on|via) "
        r".{1,200}$",
        "contact line for the author or the section",
    ),
    rule(r"^(click|tap) here\b.{0,120}$", "call to action"),
    rule(r"^(view|show|hide|add|post|leave a) comments?\W*(\(\d+\))?$", "comment widget"),
    rule(r"^\d+\s+comments?$", "comment counter"),
    rule(r"^(tags|topics|filed under|categories)\s*:.{0,200}$", "tag list"),
    rule(r"^(previous|next) (article|story|post)\b.{0,120}$", "article pager"),
    rule(r"^back to top$", "page anchor"),
    rule(
        r"^(trim|trimmed|expand|collapse|close|open|menu|search|home|more|text size|font size)$",
        "UI label",
    ),
)

SECTION_END_RULES: tuple[Rule, ...] = (
    rule(
        r"^related( content| stories| articles| posts| news| coverage| reading| links)?\W*$",
        "related-content list follows",
    ),
    rule(
        r"^more (stories|news|articles|from [\w .'-]{1,40}|on this (story|topic)|in "
        r"[\w .'-]{1,40}|[\w .'-]{1,30} (stories|news|articles|reads|videos))\W*$",
        "teaser list follows",
    ),
    rule(r"^(read|up) next\W*$", "teaser list follows"),
    rule(
        r"^(you|we think you) (may|might|will) (also )?(like|enjoy|be interested in)\W*$",
        "recommendation list follows",
    ),
    rule(
        r"^(recommended|recommended for you|recommended stories|editors'? picks|top stories|"
        r"most (popular|read|viewed|shared)|trending( now| stories)?|latest (news|stories))\W*$",
        "recommendation list follows",
    ),
    rule(
        r"^(comments?( \(\d+\))?|\d+ comments?|leave a (comment|reply)|"
        r"join the (conversation|discussion)|conversation)\W*$",
        "comment thread follows",
    ),
    rule(
        r"^(about the author|share this (page|article|story)\W*|sign up for .{0,60})$",
        "end-of-article furniture follows",
    ),
)

NOT_AUTHOR_RULES: tuple[Rule, ...] = (
    rule(r"^(by|and|from|with|written by|posted by)$", "a byline prefix with no name"),
    rule(r"\bstaff( writer| reporter| report)?s?$", "a desk, not a person"),
    rule(r"\b(min|mins|minute|minutes)\s+read\b", "a reading-time label"),
    rule(
        r"^(admin|administrator|editor|editors|guest|anonymous|unknown|null|none|name|author)$",
        "a placeholder account",
    ),
    rule(r"^https?://|www\.|@\w+\.\w+|^@", "a link or a handle, not a name"),
    rule(r"\d", "names carry no digits (usually a date or count leaked in)"),
    rule(r"^(updated|published|posted|share|follow|facebook|twitter|email)\b", "a UI label"),
    rule(
        r"\b(editor|editor-at-large|correspondent|reporter|writer|columnist|contributor|"
        r"producer|analyst|critic|photographer|desk|bureau|news service|newsroom|team)s?\b",
        "a job title or a desk, not a person",
    ),
    rule(
        r"\b(photo|photos|photograph|photography|image|images|picture|pictures|graphic|"
        r"illustration|video)\b",
        'a photo or media credit ("Staff Photo By Kathy Anderson"), not the author',
    ),
    rule(r"^(our|my|your|his|her|its|their|we|us|a|an)$|^(our|my|your) ", "a pronoun: a phrase"),
    rule(
        r"^(mon|tues|wednes|thurs|fri|satur|sun)day$|^(january|february|march|april|june|july|"
        r"august|september|october|november|december)$",
        "a date word leaked from the dateline",
    ),
    rule(
        r"\b(services|network|interactive|design|media|channel|wire|agency|group|online)\b",
        "an organisation, not a person",
    ),
    rule(r"/", 'a slash joins desks or outlets ("PA Sport/Sportal")'),
)

NOT_OUTLET_RULES: tuple[Rule, ...] = (
    rule(r"^[\W\d_]+$", 'no letters: a version or a count ("6.0"), not a name'),
    rule(
        r"[|:/\\\-\u2013\u2014>\u00bb]\s*$|^\s*[|:/\\\-\u2013\u2014<\u00ab]",
        'cut at a separator: a section or a title fragment ("Business |")',
    ),
    rule(
        r"^(the )?(article|articles|story|stories|news|latest news|breaking news|home|home ?page|"
        r"index|default|main|web ?site|site|online|page|untitled|welcome|blog|print|print "
        r"version|printer friendly( version)?|email|search|error|not found|news and features|"
        r"top stories|headlines|business|sport|sports|world|politics|entertainment|"
        r"arts and entertainment|local news|opinion|technology|health|science)$",
        "a generic page or section word, not an outlet name",
    ),
    rule(r"^(https?://|www\.)|@", "a link or a handle (the host fallback names sites)"),
    rule(r"[.!?]\s+\S+.*[.!?]$|^(\S+\s+){10,}", "a sentence or a slogan, not a name"),
    rule(
        r"\b(inc|llc|ltd|limited|corp|corporation|plc|gmbh|co)\.?$",
        "the company behind the site (often its web vendor), not the outlet",
    ),
    rule(r"^(from|by|via|at|on) \S", 'a credit fragment ("from planet-f1.com")'),
    rule(
        r"\b(copyright|all rights reserved|powered by|wordpress|joomla|drupal)\b",
        "a credit line or a publishing tool, not the outlet",
    ),
)
"""What a declared outlet name must not look like (``outlets.is_junk_outlet``)."""

NEWS_AGENCIES = (
    r"reuters|(the )?associated press|ap|afp|agence france-presse|bloomberg|cnn|bbc|pti|ians|"
    r"ani|dpa|efe|ansa|xinhua|upi|press association|pa media"
)
"""Wire services that follow a byline ("Jane Doe, Reuters"): the outlet, not an author."""

BYLINE_PREFIX = re.compile(
    r"^\s*(?:(?:written|reported|posted|analysis|opinion|commentary|review|story|text|words|"
    r"interview|reporting)\s+by|by|von|par|por)\s*[:\-]?\s+",
    re.IGNORECASE,
)
"""How a byline line starts ("By Jane Doe"); what follows is the author candidate."""


TITLE_SEPARATORS = re.compile(
    r"(\s+(?:\||-{1,2}|\u2013|\u2014|::?|/|\u00bb|\u00ab|>|@)\s+|\s*\.\.\.\s+"
    r"|(?<=\w)_(?=[A-Z])|(?<=[a-z.)]):\s+|\s+(?=\(from\s)|\s+on\s+(?=\w+\.(?:com|co\.uk)\b))"
)
"""Where a page title's headline meets its site and section text: " | ", " - ", " -- ",
" : ", " / ", " » ", "...", "_English_Xinhua", "SFGate: ...", "(from The Herald)",
"on ChicagoSports.com". A bare colon (": ") only cuts off a segment naming the site."""

WEAK_TITLE_SEPARATOR = re.compile(r"^(?:(?<!\s):\s+|\s+on\s+)$")
"""Separators that also occur inside headlines ("Algeria: Al-Qaeda claims attack"): only
a segment naming the site itself is cut there, never a section or a short tail."""

SITE_SEGMENT_RULES: tuple[Rule, ...] = (
    rule(
        r"^(the )?(news|breaking news|latest news|top stories|headlines|home|world|national|local|"
        r"state news|us|uk|asia|europe|africa|americas|middle east|sport|sports|soccer|football|"
        r"rugby|cricket|golf|tennis|racing|horse|motorsport|business|money|economy|markets|"
        r"politics|entertainment|music|movies|film|tv|showbiz|celebrity|lifestyle|technology|"
        r"tech|science|health|opinion|comment|features|general|after hrs|news story|it pro|"
        r"the feed|world views|daily dish|sports wire|feed article|[\w ]{1,20} news)$",
        "a section name, not the headline",
    ),
    rule(
        r"^(english|chinese|french|spanish|arabic|russian|german) ?(edition|version)?$",
        "a language edition",
    ),
    rule(r"^\d{1,2} \w{3,9}\.? \d{4}$|^\(?\d{1,2}/\d{1,2}/\d{2,4}\)?$", "the page's date"),
    rule(
        r"^(from |at )?(www\.)?[\w-]+(\.[\w-]+)*\.(com|net|org|co\.uk|com\.au|ca|tv)\)?$",
        "a host name: the site",
    ),
    rule(r"^from [^()]{2,60}\)$", "a credit to the source paper: the site"),
    rule(
        r"\b(news|sports?|weather|traffic|scores|video|shows|transfers|reports)\b[^,]*"
        r"(,| and )[^,]*\b(news|sports?|weather|traffic|scores|video|shows|transfers|reports)\b",
        "a list of what the site offers: its slogan",
    ),
    rule(
        r"\b(official (web )?site|serving \w+|online edition|canadian television)\b",
        "a site slogan",
    ),
)
"""Segments of a page title that are site furniture, whatever the site is called."""
