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
# # 3. Carbon footprint
#
# Projected emissions of every configuration (operational + embodied, API models through EcoLogits),
# the levers that lower them (region, low-carbon contract, batch, quantisation, smaller model), and
# what was measured: this run itself (codecarbon, offline), the client's pilot and probe when given.
#
# Each display starts with its "so what" line, in the client's language and currency
# (`llmdecide.present`); the charts are the report's (`llmdecide.charts`).

# %% tags=["parameters"]
params_path = "../params/clients/example-retail.yaml"
output_dir = "../reports/.lab/example-retail"

# %%
from llmdecide import present, stages

footprint = stages.carbon_footprint(params_path, output_dir)
wb = present.workbench(footprint)

# %% [markdown]
# ## Grid intensity of the allowed regions (codecarbon's bundled data)

# %%
wb.show("intensity")

# %% [markdown]
# ## Projected emissions of the recommendation

# %%
wb.show("projection")

# %% [markdown]
# ## Levers

# %%
wb.show("levers")

# %% [markdown]
# ## Measured

# %%
wb.show("measured")

# %% [markdown]
# ## This run's own footprint (codecarbon `OfflineEmissionsTracker`)

# %%
wb.show("run_footprint")
