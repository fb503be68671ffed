"""Tokens and dollars: token counting, the price table, budgets, model selection, summaries.

Importing this package loads neither a tokenizer nor pandas; both come on first use.
"""

from raafperf.cost.budget import ModelSelector, RunBudget
from raafperf.cost.config import BudgetConfig
from raafperf.cost.prices import ModelPrice, PriceTable, call_cost
from raafperf.cost.summary import estimate_error, estimate_error_summary, summarize_costs
from raafperf.cost.tokens import count_messages, count_text, encoding_for

__all__ = [
    "BudgetConfig",
    "ModelPrice",
    "ModelSelector",
    "PriceTable",
    "RunBudget",
    "call_cost",
    "count_messages",
    "count_text",
    "encoding_for",
    "estimate_error",
    "estimate_error_summary",
    "summarize_costs",
]
