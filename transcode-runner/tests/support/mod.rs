pub mod fake_instance;
