// The one error a job can cause by being wrong: the runner reports it and exits with status 2.

export class JobError extends Error {
  constructor(message) {
    super(message);
    this.name = "JobError";
  }
}
