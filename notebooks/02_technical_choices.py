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
# # 2. Scoring the six technical choices
#
# Every configuration of hosting × infrastructure × model × optimisation × data × deployment mode
# allowed by the client's options and constraints is sized, priced and scored; the best feasible one
# is recommended, with its runner-up. The whole table is `choices.frame`.
#
# Each display starts with its "so what" line, in the client's language and currency
# (`llmdecide.present`); the charts are the report's (`llmdecide.charts`).

# %% tags=["parameters"]
params_path = "../params/clients/example-retail.yaml"
output_dir = "../reports/.lab/example-retail"

# %%
from llmdecide import present, stages

choices = stages.technical_choices(params_path, output_dir)
wb = present.workbench(choices)

# %% [markdown]
# ## The configuration space
# What the catalog and the client's options give, and what the constraints excluded (and why).

# %%
wb.show("space")

# %% [markdown]
# ## Recommendation and runner-up

# %%
wb.show("summary")

# %% [markdown]
# ## Top configurations and rejected ones

# %%
wb.show("top")

# %%
wb.show("rejected")

# %% [markdown]
# ## The six choices, one at a time
# Each option's effect on the four criteria with the other five choices held at the recommendation.

# %%
wb.show("per_choice")

# %% [markdown]
# ## Trade-offs: Pareto front, ranges and cost breakdown

# %%
wb.show("pareto")

# %%
wb.show("ranges")

# %%
wb.show("cost")

# %% [markdown]
# ## Break-even: API vs self-hosted

# %%
wb.show("break_even")

# %% [markdown]
# ## Sensitivity: who wins where over the priority triangle

# %%
wb.show("sensitivity")

# %% [markdown]
# ## The pilot plan: what to measure first, and the models to evaluate

# %%
wb.show("pilot_plan")

# %% [markdown]
# ## The phase plan (`usage.phases`)

# %%
wb.show("phases")

# %% [markdown]
# ## Risks and compliance: the questions to answer before go-live

# %%
wb.show("risks")
