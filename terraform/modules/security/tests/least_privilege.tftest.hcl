# Least privilege, checked on the policies themselves: no wildcard actions, wildcard resources only
# for actions that have no resource type, every Glue job role limited to its own dataset's prefixes
# and tables, each Lambda role to what its handler does, and the key used by these roles only.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name = "lh-test"
  buckets = {
    raw              = "lh-test-raw"
    silver           = "lh-test-silver"
    gold             = "lh-test-gold"
    "athena-results" = "lh-test-athena-results"
    artifacts        = "lh-test-artifacts"
    logs             = "lh-test-logs"
  }
  databases        = { raw = "lh_test_raw", silver = "lh_test_silver", gold = "lh_test_gold" }
  jobs             = jsondecode(file("../../../build/terraform/manifest.json")).jobs
  crawled_datasets = ["clickstream"]
  alert_dataset    = "clickstream"
  functions = {
    on_raw_object    = "lh-test-on-raw-object"
    on_crawler_state = "lh-test-on-crawler-state"
    on_job_state     = "lh-test-on-job-state"
    landed_alert     = "lh-test-landed-alert"
  }
  alerts_topic_name = "lh-test-alerts"
  dlq_name          = "lh-test-automation-dlq"
}

run "no_wildcard_actions_and_wildcard_resources_only_where_unavoidable" {
  assert {
    condition = alltrue(flatten([
      for k, p in aws_iam_role_policy.component : [
        for s in jsondecode(p.policy).Statement : [
          for a in flatten([s.Action]) : a != "*" && !endswith(a, ":*")
        ]
      ]
    ]))
    error_message = "a role policy grants a wildcard action"
  }
  assert {
    condition = alltrue(flatten([
      for k, p in aws_iam_role_policy.component : [
        for s in jsondecode(p.policy).Statement : !contains(flatten([s.Resource]), "*") || length(setsubtract(
          flatten([s.Action]), ["cloudwatch:PutMetricData", "xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        )) == 0
      ]
    ]))
    error_message = "a role policy grants a data action on every resource"
  }
}

run "each_job_role_names_only_its_own_dataset" {
  assert {
    condition = alltrue(flatten([
      for k, j in var.jobs : [
        for other in distinct([for o in values(var.jobs) : o.name]) : [
          for s in jsondecode(aws_iam_role_policy.component["job-${k}"].policy).Statement : [
            for r in flatten([s.Resource]) :
            !(strcontains(r, "/${other}/") || endswith(r, "/${other}") || endswith(r, "/${other}_quarantine"))
          ]
          ] if other != j.name && !(j.stage == "build_model" && contains(
            try(jsondecode(file("../../../build/terraform/manifest.json")).models[j.name].sources, []), other
        ))
      ]
    ]))
    error_message = "a Glue job role names another dataset's prefix or table"
  }
  assert {
    condition = sort(flatten([
      for s in jsondecode(aws_iam_role_policy.component["job-clickstream-raw_to_silver"].policy).Statement :
      [for r in flatten([s.Resource]) : r if startswith(r, "arn:aws:s3:::lh-test-raw/")] if s.Sid == "ReadInputsAndOwnOutputs"
    ])) == sort(["arn:aws:s3:::lh-test-raw/clickstream/*"])
    error_message = "clickstream raw_to_silver must read exactly raw/clickstream/"
  }
  assert {
    condition = length(flatten([
      for s in jsondecode(aws_iam_role_policy.component["job-clickstream-silver_to_gold"].policy).Statement :
      [for r in flatten([s.Resource]) : r if startswith(r, "arn:aws:s3:::lh-test-raw")]
    ])) == 0
    error_message = "silver_to_gold must not touch the raw zone"
  }
  assert {
    condition = sort(flatten([
      for s in jsondecode(aws_iam_role_policy.component["job-clickstream-silver_to_gold"].policy).Statement :
      [for r in flatten([s.Resource]) : r if startswith(r, "arn:aws:glue:eu-west-1:123456789012:table/lh_test_gold/")] if s.Sid == "OwnCatalogTables"
      ])) == sort([for t in ["dim_date", "dim_devices", "dim_pages", "dim_users", "fact_clicks"] :
    "arn:aws:glue:eu-west-1:123456789012:table/lh_test_gold/${t}"])
    error_message = "clickstream silver_to_gold must write exactly its own gold tables"
  }
}

run "each_function_role_fits_its_handler" {
  assert {
    condition = !anytrue([
      for s in jsondecode(aws_iam_role_policy.component["fn-on_raw_object"].policy).Statement : contains(flatten([s.Action]), "sns:Publish")
    ])
    error_message = "on_raw_object has no reason to publish alerts"
  }
  assert {
    condition = !anytrue([
      for s in jsondecode(aws_iam_role_policy.component["fn-landed_alert"].policy).Statement :
      contains(flatten([s.Action]), "glue:StartJobRun") || contains(flatten([s.Action]), "s3:PutObject") && s.Sid != "OwnDeliveryMarkers"
    ])
    error_message = "landed_alert must not start jobs or write outside its delivery markers"
  }
  assert {
    condition = sort([
      for k, p in aws_iam_role_policy.component : k if anytrue([
        for s in jsondecode(p.policy).Statement : contains(flatten([s.Action]), "glue:UpdateTable")
      ]) && startswith(k, "fn-")
    ]) == sort(["fn-on_job_state"])
    error_message = "only on_job_state publishes tables among the functions"
  }
  assert {
    condition = alltrue([
      for h, fn in var.functions : anytrue([
        for s in jsondecode(aws_iam_role_policy.component["fn-${h}"].policy).Statement :
        s.Sid == "OwnLogs" && s.Resource == "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/${fn}:*"
      ])
    ])
    error_message = "each function writes only its own log group"
  }
}

run "spectrum_reads_gold_only" {
  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_role_policy.component["spectrum"].policy).Statement : [
        for r in flatten([s.Resource]) :
        startswith(r, "arn:aws:s3:::lh-test-gold") || r == aws_kms_key.this.arn ||
        contains(["arn:aws:glue:eu-west-1:123456789012:catalog", "arn:aws:glue:eu-west-1:123456789012:database/lh_test_gold"], r) ||
        startswith(r, "arn:aws:glue:eu-west-1:123456789012:table/lh_test_gold/")
      ]
    ]))
    error_message = "the Spectrum role reaches beyond the gold zone"
  }
  assert {
    condition = !anytrue(flatten([
      for s in jsondecode(aws_iam_role_policy.component["spectrum"].policy).Statement : [
        for a in flatten([s.Action]) : contains(["s3:PutObject", "s3:DeleteObject", "glue:UpdateTable"], a)
      ]
    ]))
    error_message = "the Spectrum role must be read-only"
  }
}

run "the_key_rotates_and_serves_these_roles" {
  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "the environment's key must rotate"
  }
  assert {
    condition = sort([
      for s in jsondecode(aws_kms_key_policy.this.policy).Statement : s.Principal.AWS if s.Sid == "LakehouseRolesUseTheKey"
    ][0]) == sort([for r in aws_iam_role.component : r.arn])
    error_message = "the key policy must grant use to exactly the component roles"
  }
  assert {
    condition     = length(aws_iam_role.component) == length(var.jobs) + 1 + 4 + 1
    error_message = "one role per job, the crawler, each function and Spectrum"
  }
}

run "eventbridge_may_use_the_key_for_dead_letters_of_this_environments_rules" {
  assert {
    condition = one([
      for s in jsondecode(aws_kms_key_policy.this.policy).Statement : s.Condition.ArnLike["aws:SourceArn"]
      if try(s.Principal.Service, "") == "events.amazonaws.com"
    ]) == "arn:aws:events:eu-west-1:123456789012:rule/${var.name}-*"
    error_message = "EventBridge's use of the key must be conditioned on this environment's rule ARNs (aws:SourceArn)"
  }
}
