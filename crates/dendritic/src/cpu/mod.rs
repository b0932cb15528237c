//! The CPU fast path: one training step of the steady-state scheme as a single fused host
//! computation on Burn's `flex` backend.
//!
//! At the paper's batch of 10 a step is dozens of small tensor operations, each allocating
//! its result, and every plastic weight is written as a separate ΔW before `W + ΔW` reads and
//! rewrites it. Here the step borrows the module's weights straight from their flex buffers,
//! settles the batch with register-blocked kernels ([`kernels`]), a vectorised logistic
//! ([`logistic`]) and flush-to-zero ([`denormals`]), and adds each rule's outer product into
//! the weights in place. The equations are those of [`steady_state`](crate::steady_state)
//! and [`plasticity`](crate::plasticity), which stay the reference; `tests/fast_path.rs`
//! holds the two to the same weights within 1e-5.
//!
//! [`Microcircuit::learn`](crate::Microcircuit::learn) takes this path when the network is
//! f32, logistic, and on the flex device; otherwise it runs the generic tensor code.
//!
//! The continuous-time [`Simulation`](crate::continuous::Simulation) has its own fast path
//! on flex in f32 ([`continuous`]), for every transfer function ([`phi`]).

pub(crate) mod continuous;
mod denormals;
pub mod kernels;
mod logistic;
mod phi;
mod step;
mod team;

use burn::backend::Flex;
use burn::backend::flex::FlexTensor;
use burn::module::Param;
use burn::tensor::{DType, Device, Tensor, TensorData};

use crate::config::Precision;
use crate::microcircuit::Microcircuit;
use crate::transfer::Transfer;
pub use kernels::Simd;
use step::{Coefficients, HiddenWeights, LayerWeights, Weights};

/// Whether the fast path can run this network on this input.
pub(crate) fn applies(net: &Microcircuit, input: &Tensor<2>) -> bool {
    net.config().fused_step_on(&input.device())
        && input.dtype() == DType::F32
        && net.output.w_up.val().device() == input.device()
}

/// Whether networks of `config` on `device` train on the fused step: f32, logistic, flex, and
/// Eq. 9 from the nudged state.
pub(crate) fn fused_for(config: &crate::MicrocircuitConfig, device: &Device) -> bool {
    config.precision == Precision::F32
        && config.transfer == Transfer::Logistic
        && !config.w_pi_free_phase
        && is_flex(device)
}

fn is_flex(device: &Device) -> bool {
    *device == Device::flex()
}

/// A parameter taken out of the module as its flex tensor, to be put back after the step.
struct Taken<const D: usize> {
    id: burn::module::ParamId,
    tensor: FlexTensor,
    mapper: burn::module::ParamMapper<Tensor<D>>,
}

fn take<const D: usize>(param: &mut Param<Tensor<D>>, placeholder: &Tensor<D>) -> Taken<D> {
    let owned = std::mem::replace(param, Param::initialized(param.id, placeholder.clone()));
    let (id, tensor, mapper) = owned.consume();
    // A view (e.g. a transposed start) is made dense once: the dense tensor goes back into
    // the module.
    Taken {
        id,
        tensor: dense(tensor),
        mapper,
    }
}

fn put_back<const D: usize>(param: &mut Param<Tensor<D>>, taken: Taken<D>) {
    *param = Param::from_mapped_value(
        taken.id,
        Tensor::from_primitive::<Flex>(taken.tensor),
        taken.mapper,
    );
}

fn view(tensor: &mut FlexTensor, plastic: bool) -> Weights<'_> {
    let len = tensor.layout().num_elements();
    if plastic {
        // Copy-on-write: a buffer shared with another tensor is copied once, never mutated.
        Weights::Plastic(&mut tensor.storage_mut::<f32>()[..len])
    } else {
        Weights::Fixed(&tensor.storage::<f32>()[..len])
    }
}

/// The flex tensor behind `tensor` as a dense row-major buffer starting at offset 0 (what the
/// kernels read), copied only if it is a view.
fn dense<const D: usize>(tensor: Tensor<D>) -> FlexTensor {
    let t = tensor
        .try_into_primitive::<Flex>()
        .expect("checked by `applies`: the step's tensors are on the flex device");
    if t.layout().contiguous_offsets() == Some((0, t.layout().num_elements())) {
        t
    } else {
        t.to_contiguous()
    }
}

struct TakenLayer {
    w_up: Taken<2>,
    b_up: Option<Taken<1>>,
    hidden: Option<[Taken<2>; 3]>,
    b_ip: Option<Taken<1>>,
}

/// The fused step (see the module docs). The caller has checked [`applies`] and the shapes.
/// Returns the feed-forward output potential `v_B,N`.
pub(crate) fn train_step(
    net: &mut Microcircuit,
    input: Tensor<2>,
    u_target: Tensor<2>,
) -> Tensor<2> {
    let device = input.device();
    let [m, _] = input.dims();
    let config = net.config().clone();
    // A weight whose layer learns at rate 0 is only read (Eq. 7-10 skipped for it).
    let learns = config.effective_rates();
    let coefficients = Coefficients {
        lambda_hidden: config.lambda_hidden(),
        lambda_output: config.lambda_output(),
        lambda_interneuron: config.lambda_interneuron(),
        rates: learns.clone().scaled(net.rate_scale()),
    };
    let on = |rates: &[f64], k: usize| rates.get(k).is_some_and(|&r| r != 0.0);
    let x = dense(input.clone());
    let t = dense(u_target);
    let placeholder_1d = Tensor::<1>::empty([0], &device);

    // Take every weight out of the module.
    let mut taken: Vec<TakenLayer> = net
        .hidden
        .iter_mut()
        .map(|layer| TakenLayer {
            w_up: take(&mut layer.w_up, &input),
            b_up: layer.b_up.as_mut().map(|b| take(b, &placeholder_1d)),
            hidden: Some([
                take(&mut layer.w_down, &input),
                take(&mut layer.w_ip, &input),
                take(&mut layer.w_pi, &input),
            ]),
            b_ip: layer.b_ip.as_mut().map(|b| take(b, &placeholder_1d)),
        })
        .collect();
    taken.push(TakenLayer {
        w_up: take(&mut net.output.w_up, &input),
        b_up: net.output.b_up.as_mut().map(|b| take(b, &placeholder_1d)),
        hidden: None,
        b_ip: None,
    });

    let output_basal = {
        let mut layers: Vec<LayerWeights> = taken
            .iter_mut()
            .enumerate()
            .map(|(k, layer)| {
                let up = on(&learns.up, k);
                LayerWeights {
                    w_up: view(&mut layer.w_up.tensor, up),
                    b_up: layer.b_up.as_mut().map(|b| view(&mut b.tensor, up)),
                    hidden: layer.hidden.as_mut().map(|[down, ip, pi]| HiddenWeights {
                        w_down: view(&mut down.tensor, on(&learns.down, k)),
                        w_ip: view(&mut ip.tensor, on(&learns.ip, k)),
                        b_ip: layer
                            .b_ip
                            .as_mut()
                            .map(|b| view(&mut b.tensor, on(&learns.ip, k))),
                        w_pi: view(&mut pi.tensor, on(&learns.pi, k)),
                    }),
                }
            })
            .collect();
        let n = *config.sizes.last().expect("validated sizes");
        let values = team::with_team(|team| {
            let cx = step::Cx {
                simd: Simd::detect(),
                team,
            };
            step::train_step(
                &cx,
                &config.sizes,
                &mut layers,
                &coefficients,
                &x.storage::<f32>()[..m * config.sizes[0]],
                &t.storage::<f32>()[..m * n],
                m,
            )
        });
        Tensor::<2>::from_data(TensorData::new(values, [m, n]), &device)
    };

    // Put them back.
    let mut taken = taken.into_iter();
    for layer in net.hidden.iter_mut() {
        let t = taken.next().expect("one per layer");
        put_back(&mut layer.w_up, t.w_up);
        if let (Some(p), Some(b)) = (layer.b_up.as_mut(), t.b_up) {
            put_back(p, b);
        }
        let [down, ip, pi] = t.hidden.expect("hidden layer");
        put_back(&mut layer.w_down, down);
        put_back(&mut layer.w_ip, ip);
        put_back(&mut layer.w_pi, pi);
        if let (Some(p), Some(b)) = (layer.b_ip.as_mut(), t.b_ip) {
            put_back(p, b);
        }
    }
    let t = taken.next().expect("output layer");
    put_back(&mut net.output.w_up, t.w_up);
    if let (Some(p), Some(b)) = (net.output.b_up.as_mut(), t.b_up) {
        put_back(p, b);
    }
    output_basal
}
