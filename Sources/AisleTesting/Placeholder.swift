import AisleCore
