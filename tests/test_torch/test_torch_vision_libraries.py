"""torchvision and timm models (their init code runs in constructors, through torch.nn.init, timm's own
helpers and tensor methods) under fast_init and meta + materialize, against the plain model.

These run where torchvision and timm import beside torch (not CI's torch 2.13.0 CPU build: no
torchvision build imports beside it there; checked by hand with torch 2.14.1 + torchvision 0.29.1 +
timm 1.0.31). Models built on meta use fastinit.torch.meta_init, which records what their constructors
write, so that materialize replays it (docs/huggingface.md).
"""
import warnings

import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
timm = pytest.importorskip("timm")
stats = pytest.importorskip("scipy.stats")
ft = pytest.importorskip("fastinit.torch")

P_MIN = 1e-4  # KS p-value below which a tensor's distribution differs (fixed seeds: deterministic)



def make(name):
    library, model = name.split(".", 1)
    if library == "tv":
        return getattr(torchvision.models, model)(weights=None)
    return timm.create_model(model, pretrained=False)


def mismatches(plain, other):
    a, b = plain.state_dict(), other.state_dict()
    assert list(a) == list(b)
    bad = []
    for k in a:
        x, y = a[k].double().flatten().numpy(), b[k].double().flatten().numpy()
        constant = x.size < 8 or (x == x[0]).all() or not a[k].is_floating_point()
        if not (x == y).all() if constant else stats.ks_2samp(x, y).pvalue < P_MIN:
            bad.append(k)
    return bad


FAST_INIT = ["tv.resnet18", "tv.mobilenet_v3_small", "tv.efficientnet_b0", "tv.convnext_tiny", "tv.swin_t",
             "tv.densenet121", "tv.vit_b_16", "timm.vit_tiny_patch16_224", "timm.deit_tiny_patch16_224",
             "timm.resnet18", "timm.efficientnet_b0", "timm.convnext_atto", "timm.mixer_s16_224"]


@pytest.mark.parametrize("name", FAST_INIT)
def test_fast_init_gives_the_models_own_initialization(name):
    torch.manual_seed(0)
    plain = make(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ft.fast_init(seed=0):
            model = make(name)
    assert mismatches(plain, model) == []


@pytest.mark.parametrize("name", ["tv.resnet18", "timm.vit_tiny_patch16_224", "tv.vit_b_16", "timm.convnext_atto",
                                  "timm.mixer_s16_224"])
def test_fast_init_is_reproducible(name):
    models = []
    for torch_seed in (0, 1):  # torch's generator must not matter
        torch.manual_seed(torch_seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with ft.fast_init(seed=0):
                models.append(make(name))
    assert all(torch.equal(x, y) for x, y in zip(models[0].state_dict().values(), models[1].state_dict().values()))


def fast(name, seed=0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ft.fast_init(seed=seed):
            return make(name)


META = ["tv.resnet18", "tv.vit_b_16", "tv.convnext_tiny", "tv.mobilenet_v3_small", "tv.efficientnet_b0",
        "tv.densenet121",
        "timm.vit_tiny_patch16_224", "timm.deit_tiny_patch16_224", "timm.convnext_atto", "timm.mixer_s16_224",
        "timm.resnet18"]


@pytest.mark.parametrize("name", META)
def test_meta_init_and_materialize_give_fast_inits_bits(name):
    torch.manual_seed(0)
    plain = make(name)
    with ft.meta_init() as block:
        model = make(name)
    assert block.models == [model] and all(t.is_meta for t in model.state_dict().values())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing left uninitialized or drawn by torch
        ft.materialize(model, seed=0)
    assert mismatches(plain, model) == []
    reference = fast(name)
    assert all(torch.equal(x, y) for x, y in zip(reference.state_dict().values(), model.state_dict().values()))


def test_meta_init_reports_what_the_meta_device_did_not_keep():
    """Swin's relative-position indices (arange and indexing arithmetic in the constructor) have no values on
    meta: materialize names them, after writing everything else as fast_init does."""
    with ft.meta_init():
        model = make("tv.swin_t")
    with pytest.raises(ft.UninitializedTensorsError) as info:
        ft.materialize(model, seed=0)
    assert info.value.names and all(n.endswith("relative_position_index") for n in info.value.names)
    reference = fast("tv.swin_t")
    for (k, x), y in zip(reference.state_dict().items(), model.state_dict().values()):
        assert k.endswith("relative_position_index") or torch.equal(x, y), k


@pytest.mark.parametrize("name", ["tv.resnet18", "timm.convnext_atto"])
def test_plain_meta_and_materialize_say_the_constructors_init_is_lost(name):
    with torch.device("meta"):
        model = make(name)
    with pytest.warns(UserWarning, match="meta_init"):
        ft.materialize(model, seed=0, on_untouched="warn")


def test_timm_models_with_an_init_hook_need_no_recording():
    torch.manual_seed(0)
    plain = make("timm.vit_tiny_patch16_224")
    with torch.device("meta"):
        model = make("timm.vit_tiny_patch16_224")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ft.materialize(model, seed=0)
    assert mismatches(plain, model) == []
