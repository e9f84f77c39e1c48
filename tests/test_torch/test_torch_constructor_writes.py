"""What constructors write after the module defaults (torchvision's and timm's patterns, written here so that
they run without those libraries): honoured by fast_init, and by meta_init + materialize bit for bit."""
import math
import warnings

import pytest

torch = pytest.importorskip("torch")
stats = pytest.importorskip("scipy.stats")
ft = pytest.importorskip("fastinit.torch")
nn = torch.nn

P_MIN = 1e-4


def tensor_method_trunc_normal_(tensor, std, a=-2.0, b=2.0):
    """timm.layers.trunc_normal_'s algorithm (inverse CDF), through tensor methods only."""
    cdf = lambda x: (1.0 + math.erf(x / std / math.sqrt(2.0))) / 2.0  # noqa: E731
    with torch.no_grad():
        tensor.uniform_(2 * cdf(a) - 1, 2 * cdf(b) - 1)
        tensor.erfinv_()
        tensor.mul_(std * math.sqrt(2.0))
        tensor.add_(0.0)
        tensor.clamp_(min=a, max=b)
    return tensor


class TimmLike(nn.Module):
    """timm's ConvNeXt: named_apply(_init_weights) in the constructor, a scaled head, layer scales."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 32, 4, stride=4)
        self.blocks = nn.Sequential(*[nn.Linear(32, 32) for _ in range(3)])
        self.gamma = nn.Parameter(1e-6 * torch.ones(32))
        self.head = nn.Linear(32, 10)
        for name, m in self.named_modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                tensor_method_trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
                if name == "head":
                    m.weight.data.mul_(0.5)
                    m.bias.data.add_(0.25)


class VitLike(nn.Module):
    """torchvision's ViT: a Parameter drawn with torch.empty(...).normal_() in the constructor."""

    def __init__(self):
        super().__init__()
        self.class_token = nn.Parameter(torch.zeros(1, 1, 64))
        self.pos_embedding = nn.Parameter(torch.empty(1, 50, 64).normal_(std=0.02))
        self.proj = nn.Linear(64, 64)
        self.embed = nn.Embedding(20, 64)
        self.embed.weight.data[0].zero_()  # part of a tensor, after its default


class ResNetLike(nn.Module):
    """torchvision's ResNet: an init loop over the modules at the end of the constructor."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 16, 3)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16, 10)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        nn.init.constant_(self.bn2.weight, 0)  # zero_init_residual


class ScaledOnes(nn.Module):
    """A Parameter of no known module, changed in place after it was made (its first write reads it)."""

    def __init__(self):
        super().__init__()
        self.g = nn.Parameter(torch.ones(8))
        self.g.data.mul_(0.5)
        self.lin = nn.Linear(8, 8)


MODELS = [TimmLike, VitLike, ResNetLike, ScaledOnes]


def fast(cls, seed=0):
    with ft.fast_init(seed=seed) as block:
        model = cls()
    return model, block


def meta(cls, seed=0):
    with ft.meta_init() as block:
        model = cls()
    assert block.models == [model]
    assert all(t.is_meta for t in model.state_dict().values())
    return model, ft.materialize(model, seed=seed)


def assert_same_bits(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


def assert_like_plain(plain, other):
    a, b = plain.state_dict(), other.state_dict()
    for k in a:
        x, y = a[k].double().flatten().numpy(), b[k].double().flatten().numpy()
        if x.size < 8 or (x == x[0]).all() or not a[k].is_floating_point():
            assert (x == y).all(), k
        else:
            assert stats.ks_2samp(x, y).pvalue > P_MIN, k


@pytest.mark.parametrize("cls", MODELS)
def test_fast_init_gives_the_constructors_initialization_reproducibly(cls):
    torch.manual_seed(0)
    plain = cls()
    state = torch.random.get_rng_state()
    model, block = fast(cls)
    assert torch.equal(state, torch.random.get_rng_state())  # construction drew nothing from torch's generator
    assert_like_plain(plain, model)
    torch.manual_seed(1)
    assert_same_bits(model, fast(cls)[0])
    assert not block.report.torch_drawn


@pytest.mark.parametrize("cls", MODELS)
def test_meta_init_and_materialize_give_fast_inits_bits(cls):
    model, report = meta(cls)
    assert not report.untouched and not report.torch_drawn
    assert_same_bits(fast(cls)[0], model)
    assert_same_bits(meta(cls, seed=1)[0], fast(cls, seed=1)[0])
    with pytest.raises(AssertionError):
        assert_same_bits(meta(cls, seed=1)[0], model)


def test_the_exact_values_of_the_constructors_writes():
    model, _ = fast(TimmLike)
    ref, _ = meta(TimmLike)
    for m in (model, ref):
        assert torch.equal(m.gamma, torch.full((32,), 1e-6))
        assert torch.equal(m.head.bias, torch.full((10,), 0.25))
        assert m.head.weight.abs().max() <= 0.5 * 2.0  # clamped at +-2, then halved
        assert torch.equal(m.blocks[0].bias, torch.zeros(32))
    # the head's weight is the other weights' distribution, halved
    halves = model.head.weight.detach().double().flatten().numpy() * 2
    assert stats.ks_2samp(halves, model.blocks[0].weight.detach().double().flatten().numpy()).pvalue > P_MIN
    scaled, _ = fast(ScaledOnes)
    assert torch.equal(scaled.g, torch.full((8,), 0.5))  # not 0.25: the write ran once
    vit, _ = fast(VitLike)
    assert torch.equal(vit.embed.weight[0], torch.zeros(64))
    assert vit.embed.weight[1:].std() > 0.5  # the rest keeps Embedding's N(0, 1)


def test_report_says_which_constructor_write_came_last():
    _, block = fast(TimmLike)
    sources = block.report.sources
    assert sources["stem.weight"] == "constructor: Tensor.clamp_"
    assert sources["head.weight"] == "constructor: Tensor.mul_"
    assert sources["blocks.0.bias"] == "constructor: torch.nn.init.zeros_"
    _, block = fast(VitLike)
    assert block.report.sources["pos_embedding"] == "constructor: Tensor.normal_"
    assert block.report.sources["embed.weight"] == "constructor: Tensor.zero_ (part)"


def test_pos_embedding_is_drawn_on_its_named_stream():
    vit, _ = fast(VitLike, seed=3)
    expected = torch.empty(1, 50, 64)
    ft.normal_(expected, std=0.02, generator=ft._seeds.draw_name(ft._seeds.root_seed(3), "pos_embedding"))
    assert torch.equal(vit.pos_embedding, expected)


class Computed(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.register_buffer("index", torch.arange(6) * 2)  # computed: the meta device keeps no values


def test_meta_init_names_what_the_meta_device_did_not_keep():
    with ft.meta_init():
        model = Computed()
    with pytest.raises(ft.UninitializedTensorsError) as info:
        ft.materialize(model, seed=0)
    assert info.value.names == ["index"]


def test_plain_meta_does_not_record_the_constructor():
    """Documented: without meta_init the constructor's writes are lost (torch's defaults instead)."""
    with torch.device("meta"):
        model = ResNetLike()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ft.materialize(model, seed=0)
    assert torch.equal(model.bn2.weight, torch.ones(16))  # the module default, not the constructor's 0
    assert not torch.equal(model.conv1.weight, fast(ResNetLike)[0].conv1.weight)


def test_meta_init_is_one_block_per_thread_and_restores_torch():
    before = (torch.Tensor.mul_, torch.Tensor.normal_, torch.nn.init.normal_)
    with ft.meta_init():
        with pytest.raises(RuntimeError, match="fast_init and meta_init blocks cannot be nested"):
            with ft.fast_init(seed=0):
                pass
    assert (torch.Tensor.mul_, torch.Tensor.normal_, torch.nn.init.normal_) == before
    assert torch.empty(2).device.type == "cpu"


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_transformers_models_under_meta_init_give_the_bits_of_plain_meta_and_of_fast_init(family):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("transformers.models.llama.modeling_llama")  # imported outside every block (as a user's
    pytest.importorskip("transformers.models.gpt2.modeling_gpt2")  # import is): see docs/huggingface.md
    config = (transformers.GPT2Config(n_layer=2, n_embd=64, n_head=4, n_positions=64, vocab_size=512)
              if family == "gpt2" else
              transformers.LlamaConfig(num_hidden_layers=2, hidden_size=64, intermediate_size=128,
                                       num_attention_heads=4, num_key_value_heads=2, vocab_size=512))
    build = transformers.AutoModelForCausalLM.from_config
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ft.meta_init():
            recorded = build(config)
        ft.materialize(recorded, seed=5)
        with torch.device("meta"):
            plain_meta = build(config)
        ft.materialize(plain_meta, seed=5)
        with ft.fast_init(seed=5):
            fast_model = build(config)
    assert_same_bits(recorded, plain_meta)
    assert_same_bits(recorded, fast_model)
    embeddings = {m: m.get_input_embeddings().weight for m in (recorded, fast_model)}
    assert (recorded.lm_head.weight is embeddings[recorded]) == (fast_model.lm_head.weight is embeddings[fast_model])


class OwnReset(nn.Module):
    """A module whose own reset_parameters scales in place: the defaults redo it, once (not recorded)."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(64, 64))
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.uniform_(self.weight, -1.0, 1.0)
        self.weight.data.mul_(0.1)


def test_writes_inside_a_modules_own_reset_are_done_once():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fallback to its own reset_parameters is reported
        model, block = fast(OwnReset)
    assert block.report.fallback == ["OwnReset"]
    assert 0.09 < float(model.weight.abs().max()) <= 0.1  # U(-0.1, 0.1), not 0.01
