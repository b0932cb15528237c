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
        let err = config.check().expect_err("config should be refused");
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

/// A run configuration file's mistakes: each is one clear error naming the key, the nearest
/// valid key where there is one, and nothing falls back to a default silently.
#[test]
fn run_config_mistakes_are_named_not_ignored() {
    use microcircuits::experiment::RunConfig;
    let dendritic = "name = \"x\"\nepochs = 1\n[task]\nkind = \"teacher\"\n[learner]\nkind = \"dendritic\"\nsizes = [30, 20, 10]\n";
    let bp_adam = "name = \"x\"\nepochs = 1\n[task]\nkind = \"mnist\"\n[learner]\nkind = \"bp\"\n[learner.net]\nsizes = [784, 10]\n[learner.optim]\nlr = 0.001\nkind = { kind = \"adam\", beta_1 = 2.0, beta_2 = 0.999, epsilon = 1e-8 }\n";
    assert!(RunConfig::parse(dendritic, "ok.toml").is_ok());
    for (text, want) in [
        (
            format!("batch_size = 20\n{dendritic}"),
            "unknown key `batch_size` (did you mean `batch`?)",
        ),
        (
            format!("{dendritic}etta_up = [1.0, 1.0]\n"),
            "unknown key `learner.etta_up` (did you mean `learner.eta_up`?)",
        ),
        (
            dendritic.replace("kind = \"teacher\"", "kind = \"teacher\"\ntrian = 5"),
            "unknown key `task.trian` (did you mean `task.train`?)",
        ),
        (
            format!("{dendritic}lambda_hidden = nan\n"),
            "`learner.lambda_hidden` is NaN: every number in a run configuration must be finite",
        ),
        (
            format!("target_high = 1.0\n{dendritic}"),
            "target rate 1 is outside the range of the learner's transfer function",
        ),
        (bp_adam.to_string(), "Adam beta_1 must be in [0, 1), got 2"),
    ] {
        let err = RunConfig::parse(&text, "bad.toml")
            .and_then(|c| c.learner.build("x", &Device::default()).map(|_| c))
            .err()
            .unwrap_or_else(|| panic!("accepted: {text}"))
            .to_string();
        assert!(err.contains(want), "{want}\n  got: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
}
