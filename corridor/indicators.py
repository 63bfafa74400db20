"""Layers tagged with a plan indicator, and the check that a tag names one.

A user layer can count one of the plan's main indicators (``indicators.json``): an enterprise
register tagged ``high-tech-enterprises`` counts 高新技术企业数量, whose 2025 target is 8,000.
The tag is :attr:`corridor.model.CollectionMeta.indicator`; the indicators page and the API's
indicators document show each tagged layer's feature count beside the target. The count is
of the features imported, whatever their position (placed or not): it is the user's own
list, not an official statistic.

Stores check a tag with :func:`check_indicator` where they store a layer, so a tag a page
reads always names an indicator of the same store.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from corridor import checks
from corridor.errors import InvalidParameter
from corridor.model import CollectionMeta, Indicator


@runtime_checkable
class _HasIndicators(Protocol):
    def indicators(self) -> tuple[Indicator, ...]: ...


def check_indicator(store_or_indicators: _HasIndicators | Iterable[Indicator], indicator: object) -> Indicator:
    """The plan indicator a layer tag names: its id (``high-tech-enterprises``) or its exact
    Chinese or English name (``高新技术企业数量``, ``Number of high-tech enterprises``).

    Parameters
    ----------
    store_or_indicators
        A store (its :meth:`~corridor.store.FeatureStore.indicators`) or the indicators.
    indicator
        The tag to check.

    Returns
    -------
    Indicator
        Store ``.id`` as the tag.

    Raises
    ------
    InvalidParameter
        If ``indicator`` names none of them; the message repeats it and lists the ids with
        their Chinese names.
    """
    known = (store_or_indicators.indicators() if isinstance(store_or_indicators, _HasIndicators)
             else tuple(store_or_indicators))
    key = indicator.strip() if isinstance(indicator, str) else None
    for ind in known:
        if key in (ind.id, ind.name_zh, ind.name_en):
            return ind
    listed = "; ".join(f"{i.id} ({i.name_zh})" for i in known) or "none (this data has no indicators)"
    raise InvalidParameter(
        f"indicator {checks.shown(indicator)} is not one of the plan's main indicators; expected "
        f"an id or exact name of one of: {listed}"
    )


def tagged_layers(collections: Iterable[CollectionMeta]) -> dict[str, list[CollectionMeta]]:
    """Indicator id -> the collections tagged with it, in the order given (a store's
    display order); untagged collections are left out."""
    out: dict[str, list[CollectionMeta]] = {}
    for meta in collections:
        if meta.indicator:
            out.setdefault(meta.indicator, []).append(meta)
    return out
