terraform {
  # 1.9: validations that refer to other variables (variables.tf).
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40"
    }
  }
}
