//! Errors as Kafka Connect reports them: the Java exception class and message a stage raised,
//! the stage itself, and the trace `/status` shows for a failed task.
//!
//! Class names matter outside this process: they are what the dead-letter headers
//! (`__connect.errors.exception.class.name`, `__connect.errors.class.name`) and the status
//! traces of a real Connect worker carry, and operators' tools match on them.

use std::fmt;

/// `org.apache.kafka.connect.errors.DataException`: a record's data is not what a stage needs.
pub const DATA_EXCEPTION: &str = "org.apache.kafka.connect.errors.DataException";
/// `org.apache.kafka.connect.errors.ConnectException`: a task cannot go on.
pub const CONNECT_EXCEPTION: &str = "org.apache.kafka.connect.errors.ConnectException";
/// `java.lang.IllegalArgumentException`, which some transforms raise for unknown fields.
pub const ILLEGAL_ARGUMENT: &str = "java.lang.IllegalArgumentException";
/// `java.sql.SQLException`: the database refused or failed a write.
pub const SQL_EXCEPTION: &str = "java.sql.SQLException";
/// `io.confluent.connect.jdbc.sink.TableAlterOrCreateException`: a table is missing or lacks
/// columns and may not be created or altered.
pub const TABLE_ALTER_OR_CREATE: &str =
    "io.confluent.connect.jdbc.sink.TableAlterOrCreateException";

/// A Java exception: its class and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub class: &'static str,
    pub message: String,
}

impl Exception {
    pub fn new(class: &'static str, message: impl Into<String>) -> Exception {
        Exception {
            class,
            message: message.into(),
        }
    }

    /// A `DataException`.
    pub fn data(message: impl Into<String>) -> Exception {
        Exception::new(DATA_EXCEPTION, message)
    }

    /// A `ConnectException`.
    pub fn connect(message: impl Into<String>) -> Exception {
        Exception::new(CONNECT_EXCEPTION, message)
    }
}

impl fmt::Display for Exception {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class, self.message)
    }
}

impl std::error::Error for Exception {}

/// Where in a task an error happened: `org.apache.kafka.connect.runtime.errors.Stage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    KeyConverter,
    ValueConverter,
    HeaderConverter,
    Transformation,
    TaskPut,
    TaskPoll,
    KafkaProduce,
    KafkaConsume,
}

impl Stage {
    /// The name Connect writes in `__connect.errors.stage`.
    pub fn name(self) -> &'static str {
        match self {
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::HeaderConverter => "HEADER_CONVERTER",
            Stage::Transformation => "TRANSFORMATION",
            Stage::TaskPut => "TASK_PUT",
            Stage::TaskPoll => "TASK_POLL",
            Stage::KafkaProduce => "KAFKA_PRODUCE",
            Stage::KafkaConsume => "KAFKA_CONSUME",
        }
    }
}

/// An error in one stage of one record: what `errors.tolerance` decides about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub stage: Stage,
    /// The class that ran the stage (a converter, a transform, the sink task).
    pub executing_class: String,
    pub error: Exception,
}

impl Failure {
    pub fn new(stage: Stage, executing_class: impl Into<String>, error: Exception) -> Failure {
        Failure {
            stage,
            executing_class: executing_class.into(),
            error,
        }
    }

    /// The stack-trace text of the error alone (as `__connect.errors.exception.stacktrace`).
    pub fn stacktrace(&self) -> String {
        format!(
            "{}\n\tat {} ({} stage of codeflix-connect)\n",
            self.error,
            self.executing_class,
            self.stage.name()
        )
    }

    /// The trace of a task that this failure stopped (`errors.tolerance=none`), as Connect
    /// shows it in `/status`: the framework's `ConnectException` caused by the stage's error.
    pub fn task_trace(&self) -> String {
        format!(
            "{CONNECT_EXCEPTION}: Tolerance exceeded in error handler\n\tat codeflix_connect::task\nCaused by: {}",
            self.stacktrace()
        )
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error in stage {} ({}): {}",
            self.stage.name(),
            self.executing_class,
            self.error
        )
    }
}

/// What ends a task: the trace its status shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailed {
    pub trace: String,
}

impl TaskFailed {
    /// A task that failed because of `error` outside any tolerated stage.
    pub fn from_exception(error: &Exception) -> TaskFailed {
        TaskFailed {
            trace: format!("{error}\n\tat codeflix_connect::task\n"),
        }
    }

    /// The first line of the trace, for logs.
    pub fn summary(&self) -> &str {
        self.trace.lines().next().unwrap_or_default()
    }
}

impl From<Failure> for TaskFailed {
    fn from(failure: Failure) -> TaskFailed {
        TaskFailed {
            trace: failure.task_trace(),
        }
    }
}

impl fmt::Display for TaskFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.summary())
    }
}

impl std::error::Error for TaskFailed {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_stopped_by_an_intolerable_record_shows_the_stage_error_as_the_cause() {
        let failure = Failure::new(
            Stage::ValueConverter,
            "io.confluent.connect.avro.AvroConverter",
            Exception::data("Failed to deserialize data for topic t to Avro: "),
        );
        let trace = failure.task_trace();
        assert!(trace.starts_with(
            "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler"
        ));
        assert!(trace.contains(
            "Caused by: org.apache.kafka.connect.errors.DataException: Failed to deserialize data for topic t to Avro: "
        ));
        assert_eq!(
            TaskFailed::from(failure).summary(),
            "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler"
        );
    }
}
