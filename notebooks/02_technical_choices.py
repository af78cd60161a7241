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
# is recommended, with its runner-up.

# %% tags=["parameters"]
params_path = "../params/clients/example-retail.yaml"
output_dir = "../reports/.lab/example-retail"

# %%
from llmdecide import stages

choices = stages.technical_choices(params_path, output_dir)

# %% [markdown]
# ## The configuration space
# What the catalog and the client's options give, and what the constraints excluded (and why).

# %%
choices.space

# %%
choices.excluded

# %% [markdown]
# ## Recommendation and runner-up

# %%
choices.summary

# %% [markdown]
# ## Top configurations and rejected ones

# %%
choices.top

# %%
choices.rejected

# %% [markdown]
# ## The six choices, one at a time
# Each option's effect on the four criteria with the other five choices held at the recommendation.

# %%
for table in choices.per_choice.values():
    display(table)

# %%
for chart in choices.per_choice_charts.values():
    display(chart)

# %% [markdown]
# ## Trade-offs: Pareto front and cost breakdown

# %%
choices.pareto_chart

# %%
choices.cost_chart

# %% [markdown]
# ## Break-even: API vs self-hosted

# %%
choices.break_even_chart

# %% [markdown]
# ## Sensitivity: who wins where over the priority triangle

# %%
choices.sensitivity

# %%
choices.winner_map_chart
