terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # aws_scheduler_schedule_group: 4.66; the module's own floor is 5.40.
      version = ">= 5.40"
    }
  }
}
