//! Nonsense configurations are refused with a typed error, never a panic.

use burn::tensor::Device;
use dendritic::{DendriticError, MicrocircuitConfig, Transfer};

/// A config and the check that its error is the expected one.
type Case = (MicrocircuitConfig, fn(&DendriticError) -> bool);

fn base() -> MicrocircuitConfig {
    MicrocircuitConfig::new(vec![4, 3, 2])
}

#[test]
fn each_invalid_config_yields_its_typed_error() {
    let device = Device::default();
    let cases: Vec<Case> = vec![
        (MicrocircuitConfig::new(vec![4, 2]), |e| {
            matches!(e, DendriticError::TooFewLayers(2))
        }),
        (MicrocircuitConfig::new(vec![4, 0, 2]), |e| {
            matches!(e, DendriticError::EmptyLayer { layer: 1 })
        }),
        (base().with_g_lk(-0.1), |e| {
            matches!(e, DendriticError::BadConductance { name: "g_lk", .. })
        }),
        (base().with_g_a(f64::NAN), |e| {
            matches!(e, DendriticError::BadConductance { name: "g_a", .. })
        }),
        (base().with_g_som(-1.0), |e| {
            matches!(e, DendriticError::BadConductance { name: "g_som", .. })
        }),
        (base().with_lambda_hidden(Some(1.5)), |e| {
            matches!(
                e,
                DendriticError::BadMixingFactor {
                    name: "lambda_hidden",
                    ..
                }
            )
        }),
        (base().with_lambda_output(Some(-0.2)), |e| {
            matches!(
                e,
                DendriticError::BadMixingFactor {
                    name: "lambda_output",
                    ..
                }
            )
        }),
        (base().with_lambda_interneuron(Some(2.0)), |e| {
            matches!(
                e,
                DendriticError::BadMixingFactor {
                    name: "lambda_interneuron",
                    ..
                }
            )
        }),
        (base().with_eta_up(vec![0.1, 0.1, 0.1]), |e| {
            matches!(
                e,
                DendriticError::WrongListLength {
                    name: "eta_up",
                    expected: 2,
                    got: 3
                }
            )
        }),
        (
            MicrocircuitConfig::new(vec![4, 3, 3, 2]).with_eta_ip(vec![0.1, 0.1, 0.1]),
            |e| {
                matches!(
                    e,
                    DendriticError::WrongListLength {
                        name: "eta_ip",
                        expected: 2,
                        got: 3
                    }
                )
            },
        ),
        (base().with_eta_up(vec![-0.1]), |e| {
            matches!(e, DendriticError::BadLearningRate { name: "eta_up", .. })
        }),
        (base().with_init_scale_down(-1.0), |e| {
            matches!(
                e,
                DendriticError::BadInitScale {
                    name: "init_scale_down",
                    ..
                }
            )
        }),
        (
            base().with_transfer(Transfer::SoftRelu {
                gamma: 0.0,
                beta: 1.0,
                theta: 3.0,
            }),
            |e| matches!(e, DendriticError::BadTransfer(_)),
        ),
    ];
    for (config, is_expected) in cases {
        let err = config.validate().expect_err("config should be refused");
        assert!(is_expected(&err), "unexpected error {err:?} for {config}");
        let from_init = config.init(&device).expect_err("init validates too");
        assert_eq!(from_init.to_string(), err.to_string());
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn wrong_input_and_target_shapes_are_errors() {
    let device = Device::default();
    let net = base().init(&device).unwrap();
    let x = burn::tensor::Tensor::<2>::zeros([5, 3], &device);
    assert!(matches!(
        net.settle(x, None),
        Err(DendriticError::Shape { what: "input", .. })
    ));
    let x = burn::tensor::Tensor::<2>::zeros([5, 4], &device);
    let t = burn::tensor::Tensor::<2>::zeros([4, 2], &device);
    assert!(matches!(
        net.settle(x, Some(t)),
        Err(DendriticError::Shape { what: "target", .. })
    ));
}

#[test]
fn a_config_round_trips_through_json() {
    let config = MicrocircuitConfig::new(vec![784, 500, 500, 10])
        .with_transfer(Transfer::paper_soft_relu())
        .with_eta_up(vec![0.1, 0.2, 0.3]);
    let json = serde_json::to_string(&config).unwrap();
    let back: MicrocircuitConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, config);
}
