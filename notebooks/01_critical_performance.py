# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. Critical performances
#
# What the client's users judge the application on — **performance** (latency), **precision**
# (correct answers), **cost** — and its **carbon** footprint: the limit of each (beyond it a
# configuration is rejected) and the priorities that decide between the configurations that pass.

# %% tags=["parameters"]
params_path = "../params/clients/example-retail.yaml"
output_dir = "../reports/.lab/example-retail"

# %%
from llmdecide import stages

critical = stages.critical_performance(params_path, output_dir)

# %% [markdown]
# ## Limits
# A configuration that breaks any of these is rejected, with the reason written down.

# %%
critical.limits

# %% [markdown]
# ## Priorities
# Normalised weights of the criteria (from `priorities`, or elicited by AHP from `pairwise`, with its
# consistency ratio: above 0.1 the judgements contradict each other and should be revisited).

# %%
critical.priorities

# %%
critical.ahp

# %%
critical.priorities_chart

# %% [markdown]
# ## Usage in effect
# Start-of-project hypotheses, replaced by measurements when a usage log is given.

# %%
critical.usage
