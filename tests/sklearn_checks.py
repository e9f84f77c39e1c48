"""scikit-learn's common checks on the estimators with Bernoulli visible units (not a test module).

The checks that fail on BernoulliRBM only because they fit on data outside [0, 1], and the means to show
that nothing else fails: estimators without the [0, 1] check (RangeUnchecked, unit_interval_unchecked).
Shared by test_rbm.py, test_dbn.py and test_dbn_classifier.py.
"""

# These common checks fit on standard-normal (or shifted) data, which lies
# outside [0, 1]; BernoulliRBM rejects it by design. All of them pass on
# _RangeUncheckedBernoulliRBM (test_rbm.py), so nothing else is wrong.
_OUT_OF_RANGE = "fits on data outside [0, 1], which BernoulliRBM rejects"
BERNOULLI_EXPECTED_FAILURES = {name: _OUT_OF_RANGE for name in [
    "check_estimators_dtypes", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_estimators_overwrite_params", "check_dont_overwrite_parameters",
    "check_n_features_in_after_fitting", "check_pipeline_consistency",
    "check_estimators_pickle", "check_f_contiguous_array_estimator", "check_transformer_data_not_an_array",
    "check_transformer_general", "check_transformer_preserve_dtypes", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_fit2d_1sample", "check_fit2d_1feature", "check_dict_unchanged",
    "check_fit_idempotent", "check_fit_check_is_fitted", "check_n_features_in", "check_fit2d_predict1d",
]}


class unit_interval_unchecked:
    """Context: no [0, 1] check anywhere (DBN, DBNClassifier, the first BernoulliRBM)."""

    def __enter__(self):
        import fastinit.dbn as dbn_mod
        import fastinit.dbn_classifier as clf_mod
        import fastinit.rbm as rbm_mod

        self.saved = [(dbn_mod, "check_unit_interval", dbn_mod.check_unit_interval),
                      (clf_mod, "check_unit_interval", clf_mod.check_unit_interval),
                      (rbm_mod.BernoulliRBM, "_check_values", rbm_mod.BernoulliRBM._check_values)]
        dbn_mod.check_unit_interval = clf_mod.check_unit_interval = lambda X, owner, alternative: None
        rbm_mod.BernoulliRBM._check_values = lambda self, X: None

    def __exit__(self, *exc):
        for owner, name, value in self.saved:
            if name == "_check_values":
                del owner._check_values  # back to the inherited method
            else:
                setattr(owner, name, value)


class RangeUnchecked:
    """Mixin: the estimator without the [0, 1] check, to show its expected failures are only that check."""

    def fit(self, X, y=None):
        with unit_interval_unchecked():
            return super().fit(X, y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = False  # it takes any finite input
        return tags
