"""Shortest alternating paths in a table's graph of rows and columns (disclosure control).

In the bipartite graph of a table (a node per row value and per column value, an edge per
interior cell), a path that changes its cells alternately by +1 and -1 keeps every row and
column it passes through balanced: its two ends are where the change shows. Complementary
suppression looks for such paths (disclosure_search.py).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable

from rightsfirst.monitoring.disclosure_model import Plane
from rightsfirst.monitoring.tables import Suppression

INFINITY = math.inf
# Within equal costs, fewer cells (shorter paths).
LENGTH_WEIGHT = 1
COST_SCALE = 1024

Witness = dict[int, int]


class Tree:
    """The paths found from one node: distance and predecessor of every node reached."""

    def __init__(self, distance: dict[int, int], back: dict[int, tuple[int, int, int]], order: list[int]) -> None:
        self.distance = distance
        self.back = back
        self.order = order  # nodes in the order they were reached (nearest first)

    def path(self, node: int) -> Witness:
        """The cells of the path to a node, each with the sign of its change."""
        cells: Witness = {}
        while node in self.back:
            node, var, sign = self.back[node]
            cells[var] = sign
        return cells


class Paths:
    """Path searches over the planes of one indicator, reading the protector's live state
    (costs and marks change as cells are suppressed; the lists are shared, not copied)."""

    def __init__(
        self,
        adjacency: dict[int, list[list[tuple[int, int]]]],
        group_of: dict[int, list[str | None]],
        cost: list[int],
        movable: dict[int, list[bool]],
        status: list[Suppression | None],
    ) -> None:
        self.adjacency = adjacency
        self.group_of = group_of
        self.current_cost = cost
        self.movable = movable
        self.status = status

    def search(
        self,
        plane: Plane,
        start: int,
        first_sign: int,
        *,
        excluded: int,
        stop: Callable[[int], bool] | None,
        free_only: bool = False,
        group: str | None = None,
    ) -> Tree:
        """Cheapest alternating paths from a node: edges leaving the start's side change their
        cell by first_sign, edges leaving the other side by -first_sign; only through cells
        that may move so, and (with group) nodes of that group. With free_only, only through
        cells already suppressed (all cost nothing: a breadth-first search). Stops at the first
        node `stop` accepts."""
        if free_only:
            return self._free(plane, start, first_sign, excluded=excluded, stop=stop, group=group)
        group_of = self.group_of[id(plane)]
        start_side = plane.side_of(start)
        distance = {start: 0}
        back: dict[int, tuple[int, int, int]] = {}
        order: list[int] = []
        heap = [(0, start)]
        settled: set[int] = set()
        adjacency = self.adjacency[id(plane)]
        cost = self.current_cost
        border = len(plane.values[0])
        while heap:
            dist, node = heapq.heappop(heap)
            if node in settled:
                continue
            settled.add(node)
            order.append(node)
            if stop is not None and node != start and stop(node):
                break
            sign = first_sign if (node < border) == (start_side == 0) else -first_sign
            movable = self.movable[sign]
            for neighbour, var in adjacency[node]:
                if var == excluded or neighbour in settled or not movable[var]:
                    continue
                if group is not None and group_of[neighbour] not in (None, group):
                    continue
                candidate = dist + cost[var] * COST_SCALE + LENGTH_WEIGHT
                if candidate < distance.get(neighbour, INFINITY):
                    distance[neighbour] = candidate
                    back[neighbour] = (node, var, sign)
                    heapq.heappush(heap, (candidate, neighbour))
        return Tree(distance, back, order)

    def _free(
        self,
        plane: Plane,
        start: int,
        first_sign: int,
        *,
        excluded: int,
        stop: Callable[[int], bool] | None,
        group: str | None,
    ) -> Tree:
        group_of = self.group_of[id(plane)]
        start_side = plane.side_of(start)
        distance = {start: 0}
        back: dict[int, tuple[int, int, int]] = {}
        order = [start]
        adjacency = self.adjacency[id(plane)]
        status = self.status
        border = len(plane.values[0])
        queue = deque([start])
        while queue:
            node = queue.popleft()
            sign = first_sign if (node < border) == (start_side == 0) else -first_sign
            movable = self.movable[sign]
            reached = distance[node] + 1
            for neighbour, var in adjacency[node]:
                if neighbour in distance or var == excluded or status[var] is None or not movable[var]:
                    continue
                if group is not None and group_of[neighbour] not in (None, group):
                    continue
                distance[neighbour] = reached
                back[neighbour] = (node, var, sign)
                order.append(neighbour)
                if stop is not None and stop(neighbour):
                    return Tree(distance, back, order)
                queue.append(neighbour)
        return Tree(distance, back, order)
