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
#
# Each display starts with its "so what" line, in the client's language and currency
# (`llmdecide.present`); the charts are the report's (`llmdecide.charts`).

# %% tags=["parameters"]
params_path = "../params/clients/example-retail.yaml"
output_dir = "../reports/.lab/example-retail"

# %%
from llmdecide import present, stages

critical = stages.critical_performance(params_path, output_dir)
wb = present.workbench(critical)

# %% [markdown]
# ## Limits
# A configuration that breaks any of these is rejected, with the reason written down.

# %%
wb.show("limits")

# %% [markdown]
# ## Priorities
# Normalised weights of the criteria (from `priorities`, or elicited by AHP from `pairwise`).

# %%
wb.show("priorities")

# %% [markdown]
# ## Consistency of the pairwise judgements (AHP)
# Above a consistency ratio of 0.1 the judgements contradict each other and should be revisited.

# %%
wb.show("ahp")

# %% [markdown]
# ## Usage in effect
# Start-of-project hypotheses, replaced by measurements when a usage log is given.

# %%
wb.show("usage")
