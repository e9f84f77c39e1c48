"""What a whole-model call reports (fastinit/torch/_report.py): the tensors it wrote and the modules reset by
their own ``reset_parameters``, in model order, for each of the four whole-model calls."""
import pytest
from torch_checks import Custom

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fastinit.torch")
nn = torch.nn


def test_reports_list_tensors_and_modules_in_model_order():
    # state_dict() order: pre-order, each module's parameters then its buffers (children are written first)
    def build():
        return nn.Sequential(nn.Linear(3, 4), Custom(), nn.BatchNorm1d(4),
                             nn.Sequential(Custom(), nn.Linear(4, 2)), nn.GRU(2, 3))

    model = build()
    with pytest.warns(UserWarning, match="without a fastinit rule"):
        report = ft.reset_parameters(model, seed=0)
    assert report.initialized == list(model.state_dict()) and report.fallback == ["1", "3.0"]
    with pytest.warns(UserWarning, match="left unchanged: '0.weight', '1.w', '2.weight'"):
        report = ft.init_module(model, [ft.Rule("zeros_", name="*bias"), ft.Rule("normal_", name="4.*", std=0.1)],
                                seed=0, allow_unused=True)
    assert report.initialized == [n for n in model.state_dict() if n.endswith("bias") or n.startswith("4.")]
    with torch.device("meta"):
        model = build()
    with pytest.warns(UserWarning, match="without a fastinit rule"):
        report = ft.materialize(model, seed=0)
    assert report.initialized == list(model.state_dict()) and report.fallback == ["1", "3.0"]
    with pytest.warns(UserWarning, match="without a fastinit rule"), ft.fast_init(seed=0) as f:
        model = build()
    assert f.report.initialized == list(model.state_dict()) and f.report.fallback == ["1", "3.0"]
